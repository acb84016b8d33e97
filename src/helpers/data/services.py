"""Finding the latest release of each publication through the publishers' own
services: DfE's Explore Education Statistics (EES) content API, GOV.UK's
content API (MHCLG revenue outturn, Ofsted), and ONS's ArcGIS feature
services (the council lookup).

The routes and JSON shapes are those recorded in ``SOURCES.md`` beside the
project's shared data (read from the publishers' source code and
documentation). Every answer is checked against the shape expected, and a
change of shape is a :class:`FetchError` naming the URL and what was
expected, never a KeyError.

Each ``latest_*`` function returns a :class:`Candidate`: where to download
the file, the publisher's name for it, which release it belongs to, and a
``version`` that identifies it (so a second fetch of an unchanged release
downloads nothing).
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urljoin

from ..errors import FetchError
from .web import Client, NotFound

#: Where each service lives, and the environment variable that replaces it.
SERVICES = {
    "ees_content": ("https://content.explore-education-statistics.service.gov.uk/api", "SCRUTINY_EES_CONTENT_URL"),
    "ees_api": ("https://api.education.gov.uk/statistics/v1", "SCRUTINY_EES_API_URL"),
    "govuk": ("https://www.gov.uk", "SCRUTINY_GOVUK_URL"),
    "arcgis": ("https://services1.arcgis.com/ESMARspQHYMw9BZ9/arcgis/rest/services", "SCRUTINY_ARCGIS_URL"),
}
#: GOV.UK asks API users for at most 10 requests a second.
GOVUK_SPACING = 0.11
EES_PAGE_SIZE = 40
_MAX_PAGES = 50
_MAX_HOPS = 5
_MAX_FEATURES = 100_000


@dataclass(frozen=True)
class Candidate:
    """The file a publisher serves as the latest release of a publication."""

    url: str
    filename: str
    release: str            # e.g. "Reporting year 2025", for the fetch report
    version: str            # identifies this file of this release; "" when the service gives none
    service: str
    kind: str = "file"      # "file": download url as is; "arcgis": page through features to a CSV
    #: where else the same file is served, tried in order when ``url`` answers 404:
    #: (url, zip member), the member "" for the file itself
    alternates: tuple = ()


def base_urls(configured: dict[str, str] | None = None) -> dict[str, str]:
    """Service base URLs: the environment variable, else ``configured``
    (``services:`` in data/sources.yml), else the publisher's address."""
    configured = configured or {}
    out = {}
    for key, (default, env) in SERVICES.items():
        out[key] = (os.environ.get(env) or configured.get(key) or default).rstrip("/")
    return out


class ShapeError(FetchError):
    """A service answered with JSON of an unexpected shape."""

    def __init__(self, url: str, expected: str, found: object):
        found_text = (f"keys {sorted(found)[:8]}" if isinstance(found, dict)
                      else type(found).__name__)
        super().__init__(f"{url}: the service's answer has changed shape: expected {expected}, found "
                         f"{found_text}. Fetching this source needs an update of the tool; meanwhile "
                         f"download the file by hand and use `scrutiny ingest`")


def _need(url: str, doc, key: str, kind, expected: str):
    if not isinstance(doc, dict) or not isinstance(doc.get(key), kind):
        raise ShapeError(url, expected, doc)
    return doc[key]


def _need_list(url: str, doc, outer: str, inner: str, expected: str) -> list:
    """``doc[outer][inner]``, which must be a list, or a ShapeError."""
    holder = _need(url, doc, outer, dict, expected)
    if not isinstance(holder.get(inner), list):
        raise ShapeError(url, expected, holder)
    return holder[inner]


def _matches(pattern: str | None, *texts: str) -> bool:
    return bool(pattern) and any(re.search(pattern, str(t or ""), re.IGNORECASE) for t in texts)


def _one(found: list, what: str, where: str, names: list[str]):
    if len(found) == 1:
        return found[0]
    if not found:
        listing = "; ".join(names[:25]) or "none"
        raise FetchError(f"{where}: no file matches {what}. Files offered: {listing}. The publisher may have "
                         f"renamed it: adjust 'discover' in data/sources.yml, or download it by hand and use "
                         f"`scrutiny ingest`")
    raise FetchError(f"{where}: {len(found)} files match {what}: "
                     + "; ".join(names[i] for i in found)
                     + ". Make the pattern in data/sources.yml more precise")


# ------------------------------------------------------------------ EES

def _ees_publication(client: Client, base: str, slug: str) -> dict:
    """The publication for ``slug``, following redirects of renamed slugs and
    superseding publications."""
    seen = []
    for _ in range(_MAX_HOPS):
        seen.append(slug)
        url = f"{base}/publications/{quote(slug)}"
        try:
            pub = client.get_json(url, what="an EES publication")
        except NotFound:
            slug = _ees_redirect(client, base, slug, url)
            continue
        _need(url, pub, "id", str, "a publication with 'id', 'slug', 'title' and 'latestRelease'")
        superseded = pub.get("supersededByPublication")
        if isinstance(superseded, dict) and isinstance(superseded.get("slug"), str) and superseded["slug"] not in seen:
            slug = superseded["slug"]
            continue
        return pub
    raise FetchError(f"{base}/publications/{seen[0]}: the publication moved more than {_MAX_HOPS} times "
                     f"({' -> '.join(seen)}); check the slug in data/sources.yml")


def _ees_redirect(client: Client, base: str, slug: str, failed_url: str) -> str:
    url = f"{base}/redirects"
    doc = client.get_json(url, what="EES redirects")
    redirects = _need(url, doc, "publicationRedirects", list, "'publicationRedirects': a list of fromSlug/toSlug")
    for r in redirects:
        if isinstance(r, dict) and r.get("fromSlug") == slug and isinstance(r.get("toSlug"), str):
            return r["toSlug"]
    raise FetchError(f"{failed_url}: no such publication on Explore Education Statistics (HTTP 404, and no "
                     f"redirect from {slug!r}). Check 'publication' under 'discover' in data/sources.yml")


def _ees_files(client: Client, base: str, publication_id: str) -> list[dict]:
    url = f"{base}/data-set-files"
    files: list[dict] = []
    page, pages = 1, 1
    while page <= pages and page <= _MAX_PAGES:
        params = {"publicationId": publication_id, "latestOnly": "true", "pageSize": EES_PAGE_SIZE, "page": page}
        doc = client.get_json(url, params=params, what="EES data set files")
        shown = f"{url}?publicationId={publication_id}&page={page}"
        results = _need(shown, doc, "results", list, "'results' (a list) and 'paging'")
        paging = _need(shown, doc, "paging", dict, "'results' (a list) and 'paging'")
        pages = paging.get("totalPages")
        if not isinstance(pages, int):
            raise ShapeError(shown, "'paging.totalPages' (a number)", paging)
        for r in results:
            for key in ("id", "filename"):
                if not isinstance(r, dict) or not isinstance(r.get(key), str):
                    raise ShapeError(shown, "each result with 'id', 'filename', 'title' and 'release'", r)
            files.append(r)
        page += 1
    return files


def latest_ees(client: Client, base: str, spec: dict) -> Candidate:
    """The data file of a publication's latest release on EES whose file name
    (or title) matches the source's ``file`` (or ``title``) pattern."""
    slugs = spec["publication"] if isinstance(spec["publication"], list) else [spec["publication"]]
    names: list[str] = []
    offered: list[tuple[dict, dict]] = []
    for slug in slugs:
        pub = _ees_publication(client, base, slug)
        for f in _ees_files(client, base, pub["id"]):
            offered.append((pub, f))
            names.append(f["filename"])
    hits = [i for i, (_, f) in enumerate(offered)
            if _matches(spec.get("file"), f["filename"]) or _matches(spec.get("title"), f.get("title", ""))]
    where = f"{base}/data-set-files (publication {', '.join(slugs)})"
    what = " or ".join(f"{k} /{spec[k]}/" for k in ("file", "title") if spec.get(k))
    pub, f = offered[_one(hits, what, where, names)]
    release = f.get("release") if isinstance(f.get("release"), dict) else {}
    label = release.get("title") or (pub.get("latestRelease") or {}).get("title") or "latest release"
    version = f"{release.get('id', '')}/{f.get('fileId') or f['id']}"
    alternates = ()
    if isinstance(release.get("id"), str) and isinstance(f.get("fileId"), str):
        # the release's own file route, then the whole release as a zip (entries data/<filename>)
        rv = quote(release["id"])
        alternates = ((f"{base}/releases/{rv}/files/{quote(f['fileId'])}", ""),
                      (f"{base}/releases/{rv}/files", f"data/{f['filename']}"))
    return Candidate(url=f"{base}/data-set-files/{quote(f['id'])}/download", filename=f["filename"],
                     release=f"{pub.get('title', slugs[0])}: {label}", version=version, service="ees_content",
                     alternates=alternates)


# ---------------------------------------------------------------- GOV.UK

def _year_key(title: str, updated: str) -> tuple:
    years = [int(y) for y in re.findall(r"\b(20\d\d)\b", title)]
    return (max(years) if years else 0, updated or "")


def latest_govuk(client: Client, base: str, spec: dict) -> Candidate:
    """An attachment of a GOV.UK page: ``page`` (a base path), or the newest
    document of ``collection`` whose title matches ``document``; the
    attachment whose file name matches ``attachment``."""
    page = spec.get("page")
    if spec.get("collection"):
        url = f"{base}/api/content{spec['collection']}"
        doc = client.get_json(url, what="a GOV.UK collection")
        documents = _need_list(url, doc, "links", "documents", "'links.documents' (a list of documents)")
        titled = [d for d in documents if isinstance(d, dict) and isinstance(d.get("base_path"), str)
                  and _matches(spec.get("document"), str(d.get("title", "")))]
        if not titled:
            raise FetchError(f"{url}: no document in the collection has a title matching /{spec.get('document')}/; "
                             f"titles: {'; '.join(str(d.get('title')) for d in documents[:12] if isinstance(d, dict))}."
                             f" Adjust 'discover' in data/sources.yml")
        newest = max(titled, key=lambda d: _year_key(str(d.get("title", "")), str(d.get("public_updated_at", ""))))
        page = newest["base_path"]
    url = f"{base}/api/content{page}"
    content = client.get_json(url, what="a GOV.UK page")
    attachments = _need_list(url, content, "details", "attachments", "'details.attachments' (a list)")
    files = [a for a in attachments if isinstance(a, dict) and isinstance(a.get("url"), str)]
    names = [str(a.get("filename") or a["url"].rstrip("/").rsplit("/", 1)[-1]) for a in files]
    hits = [i for i, n in enumerate(names) if _matches(spec.get("attachment"), n)]
    chosen = files[_one(hits, f"attachment /{spec.get('attachment')}/", url, names)]
    link = chosen["url"]
    if link.startswith("/"):
        link = base + link
    elif not re.match(r"https?://", link):
        link = urljoin(url, link)
    title = str(content.get("title") or page)
    return Candidate(url=link, filename=names[files.index(chosen)], release=title, version=link, service="govuk")


# ---------------------------------------------------------------- ArcGIS

def latest_arcgis(client: Client, base: str, spec: dict) -> Candidate:
    """An ONS feature layer, read page by page into a CSV. The layer's last
    edit date (when the service states it) identifies the version."""
    layer = spec["layer"]
    url = f"{base}/{quote(layer)}/FeatureServer/0"
    info = client.get_json(url, params={"f": "json"}, what="an ArcGIS layer")
    _arcgis_error(url, info)
    editing = info.get("editingInfo") if isinstance(info, dict) else None
    edited = editing.get("lastEditDate") if isinstance(editing, dict) else None
    return Candidate(url=f"{url}/query", filename=f"{layer}.csv", release=f"ONS {layer}",
                     version=f"{layer}@{edited}" if edited else "", service="arcgis", kind="arcgis")


def _arcgis_error(url: str, doc) -> None:
    if isinstance(doc, dict) and isinstance(doc.get("error"), dict):
        err = doc["error"]
        raise FetchError(f"{url}: the ArcGIS service reports an error {err.get('code', '')}: "
                         f"{err.get('message', '')} {'; '.join(map(str, err.get('details') or []))}".rstrip()
                         + ". The layer may have been renamed: check 'layer' in data/sources.yml")


def download_arcgis(client: Client, candidate: Candidate, dest: Path) -> int:
    """Every feature's attributes of the layer, as a CSV at ``dest``
    (columns in the service's field order); returns the number of rows."""
    rows: list[dict] = []
    fields: list[str] = []
    offset = 0
    while True:
        params = {"where": "1=1", "outFields": "*", "f": "json", "resultOffset": offset}
        doc = client.get_json(candidate.url, params=params, what="ArcGIS features")
        _arcgis_error(candidate.url, doc)
        features = _need(candidate.url, doc, "features", list, "'features' (a list of {'attributes': ...})")
        if not fields and isinstance(doc.get("fields"), list):
            fields = [f["name"] for f in doc["fields"] if isinstance(f, dict) and isinstance(f.get("name"), str)]
        for feat in features:
            attrs = feat.get("attributes") if isinstance(feat, dict) else None
            if not isinstance(attrs, dict):
                raise ShapeError(candidate.url, "each feature with 'attributes'", feat)
            rows.append(attrs)
        if len(rows) > _MAX_FEATURES:
            raise FetchError(f"{candidate.url}: more than {_MAX_FEATURES:,} features; not a council lookup")
        if not doc.get("exceededTransferLimit") or not features:
            break
        offset += len(features)
    if not rows:
        raise FetchError(f"{candidate.url}: the layer returned no features")
    columns = fields or list(rows[0])
    with open(dest, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for r in rows:
            writer.writerow({k: "" if r.get(k) is None else r.get(k) for k in columns})
    return len(rows)


DISCOVERERS = {"ees": ("ees_content", latest_ees), "govuk": ("govuk", latest_govuk),
               "arcgis": ("arcgis", latest_arcgis)}


def extract_member(archive: Path, member: str, dest: Path, cap: int, url: str) -> None:
    """Copy one entry of a downloaded zip to ``dest``, refusing a zip whose
    entries would unpack past ``cap`` or an entry that is not there."""
    import shutil
    import zipfile
    from ..errors import DataFileError
    from ..loaders import check_zip_members
    try:
        check_zip_members(archive, max_unzipped=max(cap, 1))
    except DataFileError as exc:
        raise FetchError(f"{url}: the release's zip was refused: {exc.detail}") from None
    with zipfile.ZipFile(archive) as zf:
        names = zf.namelist()
        if member not in names:
            data = [n for n in names if n.startswith("data/")]
            raise FetchError(f"{url}: the release's zip has no {member!r}; its data files: "
                             f"{', '.join(data[:20]) or 'none'}")
        with zf.open(member) as src, open(dest, "wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)
