"""Bulk API 2.0 ingest jobs for the Salesforce side, processed synchronously.

Large backfills go through Bulk 2.0 (crm.md §2): create a job, PUT CSV data (201),
PATCH state UploadComplete, poll the job, read failed/successful results as CSV. The
sandbox runs the whole job when the upload completes, reusing the REST write rules, so
a field that a REST write would refuse fails here too (as a failed row).
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Response

from enrich.sandbox.routing import Call, Handler, empty, json_response
from enrich.sandbox.schema import API_VERSION, SF_DATA, SF_PREFIX_TO_OBJECT
from enrich.sandbox.sf_errors import SfError
from enrich.sandbox.state import sf_format

if TYPE_CHECKING:
    from enrich.sandbox.salesforce import SalesforceApi

_DELIMITERS = {
    "COMMA": ",",
    "TAB": "\t",
    "PIPE": "|",
    "SEMICOLON": ";",
    "CARET": "^",
    "BACKQUOTE": "`",
}
_OPERATIONS = ("insert", "update", "upsert", "delete", "hardDelete")


def add_routes(api: SalesforceApi) -> None:
    base = f"{SF_DATA}/jobs/ingest"
    add = api.router.add
    add("POST", base, lambda c: create_job(api, c))
    add("GET", base, lambda c: list_jobs(api, c))
    add("GET", f"{base}/{{job_id}}", lambda c: get_job(api, c))
    add("PATCH", f"{base}/{{job_id}}", lambda c: set_state(api, c))
    add("DELETE", f"{base}/{{job_id}}", lambda c: delete_job(api, c))
    add("PUT", f"{base}/{{job_id}}/batches", lambda c: upload(api, c))

    def results_of(kind: str) -> Handler:
        return lambda c: results(api, c, kind)

    for kind in ("successfulResults", "failedResults", "unprocessedrecords"):
        add("GET", f"{base}/{{job_id}}/{kind}", results_of(kind))


def _job(api: SalesforceApi, call: Call) -> dict[str, Any]:
    job = api.state.bulk_jobs.get(call.params["job_id"])
    if job is None:
        raise SfError(404, "NOT_FOUND", "The requested resource does not exist")
    return job


def _info(job: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in job.items() if not k.startswith("_")}


def create_job(api: SalesforceApi, call: Call) -> Response:
    body = api.body(call)
    operation = body.get("operation")
    if operation not in _OPERATIONS:
        raise SfError(400, "INVALIDJOB", f"operation must be one of {', '.join(_OPERATIONS)}")
    sobject = api.sobject(str(body.get("object") or ""))
    external = body.get("externalIdFieldName")
    if operation == "upsert":
        if not external:
            raise SfError(400, "INVALIDJOB", "externalIdFieldName is required for upsert")
        api._external_field(sobject, str(external))
    delimiter = str(body.get("columnDelimiter") or "COMMA")
    if delimiter not in _DELIMITERS:
        raise SfError(400, "INVALIDJOB", f"columnDelimiter must be one of {', '.join(_DELIMITERS)}")
    job_id = api.state.new_sf_id_with_prefix("750")
    stamp = sf_format(api.state.now())
    job = {
        "id": job_id,
        "operation": operation,
        "object": sobject,
        "createdById": next(iter(api.state.sf_records["User"]), None),
        "createdDate": stamp,
        "systemModstamp": stamp,
        "state": "Open",
        "externalIdFieldName": external,
        "concurrencyMode": "Parallel",
        "contentType": "CSV",
        "apiVersion": float(API_VERSION),
        "jobType": "V2Ingest",
        "contentUrl": f"services/data/v{API_VERSION}/jobs/ingest/{job_id}/batches",
        "lineEnding": body.get("lineEnding") or "LF",
        "columnDelimiter": delimiter,
        "numberRecordsProcessed": 0,
        "numberRecordsFailed": 0,
        "_data": [],
        "_success": [],
        "_failed": [],
        "_header": [],
    }
    api.state.bulk_jobs[job_id] = job
    return json_response(_info(job))


def list_jobs(api: SalesforceApi, call: Call) -> Response:
    return json_response(
        {
            "done": True,
            "records": [_info(j) for j in api.state.bulk_jobs.values()],
            "nextRecordsUrl": None,
        }
    )


def get_job(api: SalesforceApi, call: Call) -> Response:
    return json_response(_info(_job(api, call)))


def delete_job(api: SalesforceApi, call: Call) -> Response:
    job = _job(api, call)
    api.state.bulk_jobs.pop(job["id"])
    return empty(204)


def upload(api: SalesforceApi, call: Call) -> Response:
    job = _job(api, call)
    if job["state"] != "Open":
        raise SfError(
            409,
            "INVALIDJOBSTATE",
            f"Job is {job['state']}; data can only be uploaded to an Open job",
        )
    job["_data"].append(call.request.get_data(as_text=True))
    return empty(201)


def set_state(api: SalesforceApi, call: Call) -> Response:
    job = _job(api, call)
    state = api.body(call).get("state")
    if state == "Aborted" and job["state"] in ("Open", "UploadComplete"):
        job["state"] = "Aborted"
    elif state == "UploadComplete" and job["state"] == "Open":
        _process(api, job)
    else:
        raise SfError(400, "INVALIDJOBSTATE", f"Cannot change state from {job['state']} to {state}")
    job["systemModstamp"] = sf_format(api.state.now())
    return json_response(_info(job))


def _process(api: SalesforceApi, job: dict[str, Any]) -> None:
    """Run every row through the REST write rules; a bad row fails alone, as in Bulk 2.0."""
    delimiter = _DELIMITERS[job["columnDelimiter"]]
    rows: list[dict[str, str]] = []
    for chunk in job["_data"]:
        reader = csv.DictReader(io.StringIO(chunk), delimiter=delimiter)
        job["_header"] = job["_header"] or list(reader.fieldnames or [])
        rows.extend(reader)
    sobject, operation = job["object"], job["operation"]
    for row in rows:
        # Bulk CSV has no null: an empty cell leaves a field alone; #N/A clears it.
        values: dict[str, Any] = {
            k: (None if v == "#N/A" else v) for k, v in row.items() if k and v != ""
        }
        record_id, created, error = "", False, ""
        try:
            if operation in ("delete", "hardDelete"):
                record_id = str(values.get("Id") or values.get("id") or "")
                record = api.state.sf_find(
                    SF_PREFIX_TO_OBJECT.get(record_id[:3], sobject), record_id
                )
                if record is None or record["IsDeleted"]:
                    raise SfError(400, "ENTITY_IS_DELETED", "entity is deleted")
                api._delete(record)
                if operation == "hardDelete":
                    api.state.sf_records[sobject].pop(record["Id"], None)
            elif operation == "insert":
                clean, errors = api.validate(sobject, values, None)
                if errors:
                    raise SfError(400, errors[0]["statusCode"], errors[0]["message"])
                record_id, created = api.apply(sobject, None, clean)["Id"], True
            elif operation == "update":
                given = str(values.pop("Id", None) or values.pop("id", None) or "")
                record = api.state.sf_find(sobject, given) if given else None
                if record is None or record["IsDeleted"]:
                    raise SfError(
                        400, "INVALID_CROSS_REFERENCE_KEY", f"invalid cross reference id: {given}"
                    )
                clean, errors = api.validate(sobject, values, record)
                if errors:
                    raise SfError(400, errors[0]["statusCode"], errors[0]["message"])
                record_id = api.apply(sobject, record, clean)["Id"]
            else:
                fld = api._external_field(sobject, job["externalIdFieldName"])
                value = str(values.get(fld.name) or "")
                if not value:
                    raise SfError(400, "MISSING_ARGUMENT", f"{fld.name} not specified")
                result, status = api._upsert_one(sobject, fld, value, values)
                if status == 300:
                    raise SfError(
                        300,
                        "DUPLICATE_EXTERNAL_ID",
                        f"{fld.name}: more than one record found for external id field",
                    )
                if not result["success"]:
                    raise SfError(
                        400, result["errors"][0]["statusCode"], result["errors"][0]["message"]
                    )
                record_id, created = result["id"], result["created"]
        except SfError as exc:
            error = f"{exc.code}:{exc.message}"
        if error:
            job["_failed"].append({"sf__Id": record_id, "sf__Error": error, **row})
        else:
            job["_success"].append(
                {"sf__Id": record_id, "sf__Created": str(created).lower(), **row}
            )
    job["numberRecordsProcessed"] = len(rows)
    job["numberRecordsFailed"] = len(job["_failed"])
    job["state"] = "JobComplete"


def results(api: SalesforceApi, call: Call, kind: str) -> Response:
    job = _job(api, call)
    header = list(job["_header"])
    if kind == "successfulResults":
        columns, rows = ["sf__Id", "sf__Created", *header], job["_success"]
    elif kind == "failedResults":
        columns, rows = ["sf__Id", "sf__Error", *header], job["_failed"]
    else:
        columns, rows = header, []
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return Response(out.getvalue(), mimetype="text/csv")
