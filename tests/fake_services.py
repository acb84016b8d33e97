"""A loopback stand-in for the publishers' services, for the fetch tests.

It serves the real files in ``../shared/data/dfe`` (read in place, never
copied) through the routes and JSON shapes recorded in ``SOURCES.md``:

* EES content API under ``/ees``: ``/publications/{slug}``, ``/redirects``,
  ``/data-set-files?publicationId=..&latestOnly=true&pageSize=..&page=..``
  (paged, camelCase, nulls left out) and ``/data-set-files/{id}/download``;
* GOV.UK under ``/govuk``: ``/api/content{base_path}`` for collections
  (``links.documents``) and publication pages (``details.attachments``,
  asset URLs as ``/media/{id}/{name}`` paths), and the assets themselves;
* ArcGIS under ``/arcgis``: ``/{layer}/FeatureServer/0?f=json`` and
  ``/{layer}/FeatureServer/0/query`` paged with ``resultOffset`` and
  ``exceededTransferLimit``.

Tests change what it serves: :meth:`FakePublishers.publish` puts a new
release of a file on EES, ``mode`` makes every answer fail (``"down"``) or
the EES file list change shape (``"shape"``), stops offering a data set
file's own download (``"no-file-download"``: the release's file route
serves it) or every single-file route (``"zip-only"``: only the release's
zip has it), and ``downloads`` counts the file downloads.
"""

from __future__ import annotations

import csv
import io
import json
import threading
import uuid
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

EES_PUBLICATIONS = {
    "children-s-social-work-workforce": ("Children's social work workforce", [
        ("csww_indicators_2017_to_2025.csv", "Children's social work workforce - indicators")]),
    "characteristics-of-children-in-need": ("Characteristics of children in need", [
        ("b1_children_in_need_2013_to_2025.csv", "B1 - Children in need"),
        ("c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv", "C1 - Referrals and re-referrals"),
        ("c3_factors_identified_at_end_of_assessment_2018_to_2025.csv", "C3 - Factors at end of assessment"),
        ("c4_children_in_need_section_47s_and_icpcs_2013_to_2025.csv", "C4 - Section 47 enquiries and ICPCs"),
        ("d3_cpps_subsequent_plan_2013_to_2025.csv", "D3 - Second or subsequent plans"),
        ("d5_cpps_at31march_by_duration_2013_to_2025.csv", "D5 - Plans at 31 March by duration"),
        ("ons_mid-year_population_estimates_2012_to_2024.csv", "ONS mid-year population estimates"),
    ]),
    "children-looked-after-in-england-including-adoptions": ("Children looked after in England including adoptions", [
        ("cla_number_and_rate_per_10k_children.csv", "CLA number and rate per 10,000 children"),
        ("la_cla_placement_stability.csv", "Placement stability"),
        ("la_care_leavers_accommodation_suitability.csv", "Care leavers' accommodation"),
        ("la_care_leavers_activity.csv", "Care leavers' activity"),
        ("la_children_who_ceased_during_the_year.csv", "Children who ceased to be looked after"),
        ("la_cla_during_year_new_placements.csv", "New placements"),
        ("la_conviction_health_outcome_cla.csv", "Outcomes: health, convictions and substance misuse"),
    ]),
    "stability-measures-for-children-looked-after-in-england": ("Stability measures for children looked after", [
        ("la_cla_swcount.csv", "Social worker changes"),
        ("la_cla_school_moves.csv", "School moves"),
    ]),
    "outcomes-for-children-in-need-including-children-looked-after-by-local-authorities-in-england": (
        "Outcomes for children in need, including children looked after by local authorities in England", [
            ("absence_la.csv", "Absence by local authority"),
            ("ks2_la.csv", "Key stage 2 attainment by local authority"),
            ("ks4_la.csv", "Key stage 4 attainment by local authority"),
        ]),
}
FINANCE_COLLECTION = "/government/collections/local-authority-revenue-expenditure-and-financing"
OFSTED_COLLECTION = "/government/collections/childrens-social-care-statistics"
LOOKUP = "LTLA-UTLA_Apr23_Lookup_England-Wales.csv"
LAYER = "LTLA23_UTLA23_EW_LU"
ARCGIS_PAGE = 100


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass   # a client that hangs up early (a refused download) is not news


@dataclass
class EesFile:
    id: str
    file_id: str
    filename: str
    title: str
    body: bytes


@dataclass
class EesPublication:
    id: str
    slug: str
    title: str
    release_id: str
    release_title: str
    files: list[EesFile] = field(default_factory=list)


class FakePublishers:
    """The three services on one loopback port; ``base`` is its address."""

    def __init__(self, real_dir: Path):
        self.real_dir = Path(real_dir)
        self.mode = ""
        self.downloads: list[str] = []
        self.requests: list[str] = []
        self.publications: dict[str, EesPublication] = {}
        for slug, (title, files) in EES_PUBLICATIONS.items():
            pub = EesPublication(str(uuid.uuid4()), slug, title, str(uuid.uuid4()), "Reporting year 2025")
            for name, ftitle in files:
                pub.files.append(EesFile(str(uuid.uuid4()), str(uuid.uuid4()), name, ftitle,
                                         (self.real_dir / name).read_bytes()))
            self.publications[slug] = pub
        self.redirects = [{"fromSlug": "characteristics-of-children-in-need-old",
                           "toSlug": "characteristics-of-children-in-need"}]
        self.assets: dict[str, bytes] = {}
        self.pages = self._govuk_pages()
        self._server = _QuietServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # ---------------------------------------------------------- lifecycle
    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def env(self) -> dict[str, str]:
        return {"SCRUTINY_EES_CONTENT_URL": self.base + "/ees", "SCRUTINY_GOVUK_URL": self.base + "/govuk",
                "SCRUTINY_ARCGIS_URL": self.base + "/arcgis", "SCRUTINY_EES_API_URL": self.base + "/api"}

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    # ---------------------------------------------------------- changes
    def publish(self, slug: str, filename: str, body: bytes, release_title: str = "Reporting year 2026") -> None:
        """A new release of ``slug`` whose file ``filename`` (matched on its
        first two underscore-separated words) now holds ``body``."""
        pub = self.publications[slug]
        pub.release_id, pub.release_title = str(uuid.uuid4()), release_title
        prefix = "_".join(filename.split("_")[:2])
        for i, f in enumerate(pub.files):
            new_id = str(uuid.uuid4())
            if f.filename.startswith(prefix):
                pub.files[i] = EesFile(new_id, str(uuid.uuid4()), filename, f.title, body)
            else:
                pub.files[i] = EesFile(new_id, f.file_id, f.filename, f.title, f.body)

    # ---------------------------------------------------------- GOV.UK content
    def _asset(self, name: str) -> str:
        asset_id = uuid.uuid4().hex[:24]
        self.assets[asset_id] = (self.real_dir / name).read_bytes()
        return f"/media/{asset_id}/{name}"

    def _govuk_pages(self) -> dict[str, dict]:
        ro_old = "/government/statistics/local-authority-revenue-expenditure-and-financing-england-2023-to-2024-individual-local-authority-data-outturn"
        ro_new = "/government/statistics/la-revenue-expenditure-and-financing-england-2024-to-2025-individual-la-data-outturn"
        of_old = "/government/statistics/childrens-social-care-in-england-2023"
        of_new = "/government/statistics/childrens-social-care-in-england-2025"

        def page(title, attachments):
            return {"title": title, "document_type": "official_statistics", "schema_name": "publication",
                    "details": {"attachments": attachments}}

        def attachment(name, asset=True):
            url = self._asset(name) if asset else f"/media/{uuid.uuid4().hex[:24]}/{name}"
            return {"attachment_type": "file", "id": uuid.uuid4().hex[:8], "url": url, "filename": name,
                    "content_type": "application/vnd.oasis.opendocument.spreadsheet", "title": name}

        def docs(*items):
            return {"title": "collection", "links": {"documents": [
                {"title": t, "base_path": p, "public_updated_at": d} for t, p, d in items]}}
        return {
            FINANCE_COLLECTION: docs(
                ("Local authority revenue expenditure and financing England: 2023 to 2024 individual local "
                 "authority data - outturn", ro_old, "2024-12-05T09:30:00Z"),
                ("Local authority revenue expenditure and financing England: 2024 to 2025 individual local "
                 "authority data - outturn", ro_new, "2025-12-04T09:30:00Z"),
                ("Local authority revenue expenditure and financing England: 2025 to 2026 budget", "/x", "2025-06-01")),
            ro_old: page("RO 2023 to 2024", [attachment("RO3_LA_Data_2023-24_data_by_LA.ods", asset=False)]),
            ro_new: page("RO 2024 to 2025", [attachment("RO3_LA_Data_2024-25_data_by_LA.ods"),
                                             attachment("RSX_LA_Data_2024-25_data_by_LA.ods"),
                                             {"attachment_type": "html", "id": "h1", "url": "/guidance",
                                              "title": "Technical notes"}]),
            OFSTED_COLLECTION: docs(
                ("Children's social care in England 2023", of_old, "2023-07-20T09:30:00Z"),
                ("Children's social care in England 2025", of_new, "2025-07-17T09:30:00Z")),
            of_old: page("CSC 2023", [attachment("Childrens_social_care_in_England_2023_underlying_data.ods")]),
            of_new: page("CSC 2025", [attachment("LA_Inspection_Outcomes_as_at_31_March_2025.ods"),
                                      attachment("Childrens_social_care_in_England_2023_underlying_data.ods")]),
        }

    # ---------------------------------------------------------- ArcGIS
    def _features(self) -> tuple[list[str], list[dict]]:
        text = (self.real_dir / LOOKUP).read_text(encoding="utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(text)))
        fields = list(rows[0])
        return fields, [{k: (int(v) if k == "ObjectId" else (v or None)) for k, v in r.items()} for r in rows]

    # ---------------------------------------------------------- routes
    def answer(self, path: str, query: dict) -> tuple[int, str, bytes, dict]:
        """(status, content type, body, extra headers) for one GET."""
        if self.mode == "down":
            return 503, "text/plain", b"Service unavailable", {"Retry-After": "0"}
        service, _, rest = path.lstrip("/").partition("/")
        handler = {"ees": self._ees, "govuk": self._govuk, "arcgis": self._arcgis}.get(service)
        if handler is None:
            return 404, "text/plain", b"not found", {}
        return handler("/" + rest, query)

    def _json(self, doc, status=200):
        return status, "application/json; charset=utf-8", json.dumps(doc).encode(), {}

    def _ees(self, path, query):
        parts = [unquote(p) for p in path.strip("/").split("/")]
        if parts[0] == "publications" and len(parts) == 2:
            pub = self.publications.get(parts[1])
            if pub is None:
                return self._json({"title": "Not Found", "status": 404}, 404)
            return self._json({"id": pub.id, "slug": pub.slug, "title": pub.title,
                               "latestRelease": {"id": pub.release_id, "slug": "2025", "title": pub.release_title}})
        if parts == ["redirects"]:
            return self._json({"publicationRedirects": self.redirects, "methodologyRedirects": []})
        if parts == ["data-set-files"]:
            return self._ees_list(query)
        if parts[0] == "releases" and len(parts) in (3, 4) and parts[2] == "files":
            return self._ees_release_files(parts[1], parts[3] if len(parts) == 4 else None)
        if len(parts) == 3 and parts[0] == "data-set-files" and parts[2] == "download":
            if self.mode in ("no-file-download", "zip-only"):
                return self._json({"title": "Not Found", "status": 404}, 404)
            for pub in self.publications.values():
                for f in pub.files:
                    if f.id == parts[1]:
                        self.downloads.append(f.filename)
                        return 200, "text/csv", f.body, {"Content-Disposition": f'attachment; filename="{f.filename}"'}
        return self._json({"title": "Not Found", "status": 404}, 404)

    def _ees_release_files(self, release_id: str, file_id: str | None):
        """One file of a release version, or (no file id) the whole release
        as a zip whose entries are data/<filename>."""
        pub = next((p for p in self.publications.values() if p.release_id == release_id), None)
        if pub is None or (file_id and self.mode == "zip-only"):
            return self._json({"title": "Not Found", "status": 404}, 404)
        if file_id:
            for f in pub.files:
                if f.file_id == file_id:
                    self.downloads.append(f.filename)
                    return 200, "text/csv", f.body, {"Content-Disposition": f'attachment; filename="{f.filename}"'}
            return self._json({"title": "Not Found", "status": 404}, 404)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            for f in pub.files:
                zf.writestr(f"data/{f.filename}", f.body)
            zf.writestr("supporting-files/methodology.txt", b"How the figures are collected.")
        self.downloads.append(f"{pub.slug}.zip")
        return 200, "application/zip", buffer.getvalue(), {}

    def _ees_list(self, query):
        pub = next((p for p in self.publications.values() if p.id == query.get("publicationId", [""])[0]), None)
        files = pub.files if pub else []
        size = int(query.get("pageSize", ["10"])[0])
        page = int(query.get("page", ["1"])[0])
        if not 1 <= size <= 40:
            return self._json({"title": "Bad Request", "status": 400}, 400)
        chunk = files[(page - 1) * size: page * size]
        results = [{"id": f.id, "fileId": f.file_id, "filename": f.filename, "fileSize": f"{len(f.body) // 1024} Kb",
                    "title": f.title, "content": "", "theme": {"id": "t", "title": "Children's social care"},
                    "publication": {"id": pub.id, "title": pub.title},
                    "release": {"id": pub.release_id, "title": pub.release_title, "slug": "2025"},
                    "latestData": True, "published": "2025-11-06T09:30:00Z", "hasApiDataSet": False,
                    "meta": {"timePeriodRange": {"from": "2013", "to": "2025"}}} for f in chunk]
        total = len(files)
        doc = {"results": results, "paging": {"page": page, "pageSize": size, "totalResults": total,
                                              "totalPages": (total - 1) // size + 1 if total else 0}}
        if self.mode == "shape":
            doc = {"items": results, "page": page}
        return self._json(doc)

    def _govuk(self, path, query):
        if path.startswith("/api/content"):
            doc = self.pages.get(path[len("/api/content"):])
            return self._json(doc) if doc else self._json({"error": "not found"}, 404)
        if path.startswith("/media/"):
            asset_id = path.split("/")[2]
            if asset_id in self.assets:
                self.downloads.append(path.rsplit("/", 1)[-1])
                return 200, "application/vnd.oasis.opendocument.spreadsheet", self.assets[asset_id], {}
        return 404, "text/html", b"<h1>Page not found</h1>", {}

    def _arcgis(self, path, query):
        parts = path.strip("/").split("/")
        if parts[:3] != [LAYER, "FeatureServer", "0"]:
            return self._json({"error": {"code": 400, "message": "Invalid URL", "details": []}})
        fields, rows = self._features()
        if len(parts) == 3:
            return self._json({"id": 0, "name": LAYER, "type": "Table",
                               "editingInfo": {"lastEditDate": 1698742800000},
                               "fields": [{"name": f, "type": "esriFieldTypeString"} for f in fields]})
        offset = int(query.get("resultOffset", ["0"])[0])
        chunk = rows[offset: offset + ARCGIS_PAGE]
        self.downloads.append(f"{LAYER}@{offset}")
        return self._json({"objectIdFieldName": "ObjectId", "fields": [{"name": f} for f in fields],
                           "exceededTransferLimit": offset + ARCGIS_PAGE < len(rows),
                           "features": [{"attributes": r} for r in chunk]})

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802
                url = urlparse(self.path)
                fake.requests.append(self.path)
                status, ctype, body, headers = fake.answer(url.path, parse_qs(url.query))
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)
        return Handler


def with_a_later_year(path: Path) -> bytes:
    """A DfE tidy CSV with its latest year's rows repeated as the next year:
    a newer release of the same publication, made in memory for a test."""
    lines = Path(path).read_text(encoding="utf-8-sig").splitlines()
    rows = list(csv.reader(lines))
    period = rows[0].index("time_period")
    latest = max(int(r[period]) for r in rows[1:] if r)
    extra = [r[:period] + [str(latest + 1)] + r[period + 1:] for r in rows[1:] if r and int(r[period]) == latest]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows + extra)
    return out.getvalue().encode("utf-8")
