"""DfE tidy CSV publications on child protection enquiries and the outcomes,
stability, placements and exits of children looked after, and the school
outcomes of children in need.

Each is read by the shared reader in :mod:`helpers.loaders.dfe`; this module
only says how to recognise each file and how its filter values name its
measures. A measure is named ``<filter parts>_<value suffix>``, for example
``health_dental_check_percent`` (children looked after for 12 months who had
their teeth checked, the published percentage) or
``cla12_total_pt_overall`` (overall absence of children looked after for 12
months, all school types).

Filter values not listed here (a new breakdown in a later release) still load,
named by their own slug, so nothing in a file is silently dropped.
"""

from __future__ import annotations

from .publication import Publication, keep_columns


def _named(*columns: str) -> dict[str, str]:
    """Value columns named as themselves after the filter parts."""
    return {c: c for c in columns}

__all__ = ["OUTCOME_PUBLICATIONS", "SOCIAL_CARE_GROUPS"]

#: The three groups of the "Outcomes for children in need, including children
#: looked after" publication: children in need, on a child protection plan,
#: looked after for 12 months (each at 31 March of the academic year).
SOCIAL_CARE_GROUPS = {
    "CLA 12 months at 31 March": "cla12",
    "CINO at 31 March": "cin",
    "CPPO at 31 March": "cpp",
}

_COUNT_PERCENT = {"children_count": "count", "children_percent": "percent",
                  "number": "count", "percentage": "percent"}

_HEALTH_CHARACTERISTICS = {
    "Health assessments: Children looked after all ages": "health",
    "Development assessments: Children looked after ages 0 to 4 years": "development",
    "Ages 5 to 16 years with SDQ score": "sdq",
    "Substance misuse: Children looked after all ages": "substance",
    "Convictions: Children looked after Ages 10 to 17 years": "convictions",
}
_HEALTH_BREAKDOWNS = {
    "Had their annual health assessment": "health_assessment",
    "Had their immunisations up to date": "immunisations",
    "Had their teeth checked by a dentist": "dental_check",
    "Total all ages": "total",
    "Development assessments up to date": "up_to_date",
    "Total ages 0 to 4 years": "total",
    "SDQ average score": "average_score",
    "SDQ score is a cause for concern": "concern",
    "SDQ score is borderline": "borderline",
    "SDQ score is normal": "normal",
    "SDQ score was received": "received",
    "Total ages 5 to 16 years": "total",
    "Identified as having a substance misuse problem": "identified",
    "Received an intervention for their substance misuse problem": "intervention",
    "Offered intervention but refused it": "refused",
    "Convicted or subject to youth cautions, or youth conditional cautions during the year": "convicted",
    "Total ages 10 to 17 years": "total",
}

_PLACEMENT_CHARACTERISTICS = {
    "Location of new placements during the year": "np",
    "Reason for placement change during the year": "pc",
}
_PLACEMENT_BREAKDOWNS = {
    "Placed inside LA boundary less than 20 miles from home": "inside_near",
    "Placed inside LA boundary more than 20 miles from home": "inside_far",
    "Placed outside LA boundary less than 20 miles from home": "outside_near",
    "Placed outside LA boundary more than 20 miles from home": "outside_far",
    "Distance not known or not recorded": "distance_unknown",
    "Total new placements": "total",
    "Total placements changing": "total",
    "Carer requests placement ends due to child's behaviour": "carer_behaviour",
    "Carer requests placement end other than due to child's behaviour": "carer_other",
    "Change to/implementation of care plan": "care_plan",
    "Child requests placement to end": "child_request",
    "Standards of care concern": "standards_concern",
    "Allegation (s47)": "allegation",
    "Resignation or closure of provision": "provision_closed",
    "Approval removed": "approval_removed",
    "Change in the status of a placement only": "status_change",
    "Custody arrangement": "custody",
    "Responsible/area authority requests placement ends": "authority_request",
    "Other": "other",
}

_CEASED_GROUPS = {"Reason episode ceased": "ceased", "Age on ceasing": "ceased_age",
                  "Gender": "ceased_gender"}
_CEASED_REASONS = {
    "Adopted": "adopted",
    "Special guardianship orders": "sgo",
    "Residence order or child arrangement order granted": "cao",
    "Returned home to live with parents or other person with parental responsibility which was part of "
    "the care planning process": "home_planned",
    "Returned home to live with parents or other person with parental responsibility which was not part of "
    "the care planning process": "home_unplanned",
    "Left care to live with parents, relatives or other person with no parental responsibility": "left_to_relatives",
    "Aged 18 (or over) and remained with current carers": "staying_put",
    "Moved into independent living (with supportive accommodation)": "independent_supported",
    "Moved into independent living (with no formalised support)": "independent_unsupported",
    "Total": "total",
}

_SCHOOL_MOVES = {
    "Total children": "total",
    "With one or more moves during the year": "moved",
    "With one or more mid-year moves during the year": "moved",
    "With one or more moves during the previous 2 years": "moved",
    "With one or more mid-year moves during the previous 2 years": "moved",
}

_PHASES = {"Total": "total", "State-funded primary": "primary", "State-funded secondary": "secondary",
           "Special": "special", "State-funded alternative provision school": "ap"}

OUTCOME_PUBLICATIONS: tuple[Publication, ...] = (
    Publication(
        "cin_c4", "Children in need: section 47 enquiries and initial child protection conferences (c4)",
        "31 March",
        signature=("section47", "icpc"),
        values=keep_columns("Section47", "Section47_child", "ICPC", "ICPC_child", "duration_0_10_days",
                            "duration_11_15_days", "duration_16_20_days", "duration_21+_days",
                            "duration_25th_percentile", "duration_median", "duration_75th_percentile")),
    Publication(
        "cla_health_outcomes",
        "Children looked after: health, development, SDQ, substance misuse and convictions", "31 March",
        signature=("characteristic", "breakdown", "children_count"),
        values=_COUNT_PERCENT,
        filters={"characteristic": _HEALTH_CHARACTERISTICS, "breakdown": _HEALTH_BREAKDOWNS},
        require_values=("characteristic", tuple(_HEALTH_CHARACTERISTICS))),
    Publication(
        "cla_new_placements", "Children looked after: new placements by location, and placement changes",
        "31 March",
        signature=("characteristic", "breakdown", "children_count"),
        values=_COUNT_PERCENT,
        filters={"characteristic": _PLACEMENT_CHARACTERISTICS, "breakdown": _PLACEMENT_BREAKDOWNS},
        require_values=("characteristic", tuple(_PLACEMENT_CHARACTERISTICS))),
    Publication(
        "cla_ceased", "Children looked after: children who ceased to be looked after, by reason", "31 March",
        signature=("cla_group", "characteristic"),
        values=_COUNT_PERCENT,
        filters={"cla_group": _CEASED_GROUPS, "characteristic": _CEASED_REASONS},
        require_values=("cla_group", tuple(_CEASED_GROUPS))),
    Publication(
        "cla_school_moves", "Children looked after: school moves (stability measures)", "31 March",
        signature=("cla_group", "move_measure", "school_stability"),
        values=_COUNT_PERCENT,
        filters={"cla_group": {"CLA on 31 March": "sm_year", "CLA 2 years on 31 March": "sm_2yr"},
                 "move_measure": {"Any moves": "any", "Mid-year moves": "midyear"},
                 "school_stability": _SCHOOL_MOVES}),
    Publication(
        "cin_absence", "Outcomes for children in need: school absence", "academic year",
        signature=("social_care_group", "t_sess_possible"),
        values=_named("t_pupils", "t_sess_possible", "t_sess_overall", "pt_overall", "t_sess_authorised",
                            "pt_sess_authorised", "t_sess_unauthorised", "pt_sess_unauthorised",
                            "t_pupils_pa_10_exact", "pt_pupils_pa_10_exact", "t_pupils_pa_50_exact",
                            "pt_pupils_pa_50_exact"),
        filters={"social_care_group": SOCIAL_CARE_GROUPS, "phase_type_grouping": _PHASES}),
    Publication(
        "cin_ks2", "Outcomes for children in need: key stage 2", "academic year",
        signature=("social_care_group", "t_rwm_eligible_pupils"),
        values=_named(*[f"{kind}_{subject}_{what}" for subject in ("read", "writta", "mat", "rwm")
                              for kind, what in (("t", "eligible_pupils"), ("t", "met_expected_standard"),
                                                 ("pt", "met_expected_standard"))]),
        filters={"social_care_group": SOCIAL_CARE_GROUPS}),
    Publication(
        "cin_ks4", "Outcomes for children in need: key stage 4", "academic year",
        signature=("social_care_group", "avg_att8"),
        values=_named("t_pupils", "t_att8", "avg_att8", "t_l2basics_94", "pt_l2basics_94",
                            "t_l2basics_95", "pt_l2basics_95", "t_ebacc_e_ptq_ee", "pt_ebacc_e_ptq_ee",
                            "avg_p8score"),
        filters={"social_care_group": SOCIAL_CARE_GROUPS}),
)
