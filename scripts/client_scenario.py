"""A short scenario through a Python client generated from Curio's
/openapi.json by openapi-python-client: sign in, create an organization, a
stream and a report, read the report back, and get a 404 Problem.

Usage: client_scenario.py BASE_URL EMAIL PASSWORD (the generated
`curio_client` package on sys.path).
"""

import datetime
import sys
import uuid

from curio_client import AuthenticatedClient, Client
from curio_client.api.auth import login
from curio_client.api.organizations import create_organization
from curio_client.api.reports import create_report, get_report
from curio_client.api.streams import create_stream
from curio_client.models import (
    CreateOrganizationRequest,
    CreateReportRequest,
    CreateStreamRequest,
    LoginRequest,
    LoginResponse,
    OrganizationOut,
    Problem,
    ReportDetailOut,
    ReportOut,
    Scope,
    StreamOut,
)


def expect(value, kind):
    assert isinstance(value, kind), f"expected {kind.__name__}, got {value!r}"
    return value


def main(base_url: str, email: str, password: str) -> None:
    signed_in = expect(
        login.sync(client=Client(base_url=base_url), body=LoginRequest(email=email, password=password)),
        LoginResponse,
    )
    client = AuthenticatedClient(base_url=base_url, token=signed_in.access_token)
    suffix = uuid.uuid4().hex[:8]

    org = expect(
        create_organization.sync(client=client, body=CreateOrganizationRequest(name=f"Client org {suffix}")),
        OrganizationOut,
    )
    stream = expect(
        create_stream.sync(
            client=client,
            body=CreateStreamRequest(stream_name="Client stream", purpose="Generated-client check", scope=Scope.PERSONAL),
        ),
        StreamOut,
    )
    created = expect(
        create_report.sync(
            stream.id,
            client=client,
            body=CreateReportRequest(report_name="Client report", report_date=datetime.date(2026, 11, 23)),
        ),
        ReportOut,
    )
    report = expect(get_report.sync(created.id, client=client), ReportDetailOut)
    assert (report.id, report.report_name, report.stream_id) == (created.id, "Client report", stream.id)

    missing = expect(get_report.sync(2_000_000_000, client=client), Problem)
    assert missing.status == 404, missing
    print(f"generated client: organization {org.id}, stream {stream.id}, report {report.id}, 404 Problem: {missing.detail}")


if __name__ == "__main__":
    main(*sys.argv[1:4])
