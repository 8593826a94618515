"""The denial query, written once in Trino's dialect, and the Athena table DDL.

Athena (engine 3) and CloudTrail Lake run the Trino text; sqlglot transpiles it for
DuckDB. The DDL is the Athena table with partition projection.

Every engine sees a table with Athena's CloudTrail columns (`eventtime`, `useridentity`,
`errorcode`, ...). Athena and DuckDB also have the partition columns `account`, `region`
and `timestamp` (`yyyy/MM/dd`, the S3 layout's day directories), which the query prunes
on; CloudTrail Lake has no partitions and filters on the event columns instead.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from typing import Any, Literal

from sqlglot import exp

from accessdenied.trail.model import TrailFilter

Target = Literal["athena", "lake", "duckdb"]

#: errorCode values CloudTrail records for authorization failures (the codes the
#: scanner's CloudTrail grammar recognises, plus the `*Exception` spellings).
DENIAL_CODE_PATTERN = (
    r"^(Client\.)?(AccessDenied(Exception)?|UnauthorizedOperation|UnauthorizedAccess|"
    r"AuthorizationError(Exception)?|Forbidden(Exception)?|NotAuthorized(Exception)?)$"
)
#: errorMessage phrases of an IAM denial when the code is something else.
DENIAL_MESSAGE_PATTERN = (
    r"(?i)(not authorized to perform|with an explicit deny|because no .{1,60} allows|"
    r"access denied)"
)

#: (output column, Trino expression over the CloudTrail table). The order is the row order.
QUERY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("event_time", "eventtime"),
    ("event_id", "eventid"),
    ("event_source", "eventsource"),
    ("event_name", "eventname"),
    ("aws_region", "awsregion"),
    ("account", "recipientaccountid"),
    ("principal_arn", "useridentity.arn"),
    ("issuer_arn", "useridentity.sessioncontext.sessionissuer.arn"),
    ("error_code", "errorcode"),
    ("error_message", "errormessage"),
    ("source_ip", "sourceipaddress"),
    ("user_agent", "useragent"),
    ("request_id", "requestid"),
    ("file", '"$path"'),
)
ALL_PARTITIONS = frozenset({"account", "region", "timestamp"})
_LAKE_TABLE = "__event_data_store__"
_TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,2}$")
_EDS_ID = re.compile(
    r"^(?:arn:aws[a-z-]*:cloudtrail:[a-z0-9-]+:\d{12}:eventdatastore/)?"
    r"(?P<id>[A-Za-z0-9][A-Za-z0-9-]{2,127})$"
)


class QueryError(ValueError):
    """A table or event data store name that cannot go into SQL."""


def _col(expr: str) -> exp.Expression:
    return exp.maybe_parse(expr, dialect="trino")


def _day(t: dt.datetime) -> str:
    return t.strftime("%Y/%m/%d")


def _time_literal(t: dt.datetime, target: Target) -> exp.Expression:
    t = t.astimezone(dt.UTC)
    if target == "lake":
        # Lake's eventTime is a timestamp; its examples compare it with this format.
        return exp.Literal.string(t.strftime("%Y-%m-%d %H:%M:%S"))
    # Athena's (and the DuckDB view's) eventtime is the record's ISO string.
    return exp.Literal.string(t.strftime("%Y-%m-%dT%H:%M:%SZ"))


def _in(column: exp.Expression, values: Collection[str]) -> exp.Expression:
    lits = [exp.Literal.string(v) for v in sorted(values)]
    if len(lits) == 1:
        return column.eq(lits[0])
    return column.isin(*lits)


def lake_table_id(store: str) -> str:
    """The event data store id from an id or an ARN (what Lake's FROM takes)."""
    m = _EDS_ID.match(store.strip())
    if not m:
        raise QueryError(
            f"not an event data store id or ARN: {store!r} "
            "(e.g. EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE)"
        )
    return m.group("id")


def denial_query(
    flt: TrailFilter,
    target: Target,
    table: str = "cloudtrail_logs",
    partitions: Collection[str] = ALL_PARTITIONS,
) -> exp.Select:
    """The denial query as a sqlglot tree (Trino semantics), pruned by `flt`."""
    if target != "lake" and not _TABLE_NAME.match(table):
        raise QueryError(
            f"not a table name: {table!r} (use [catalog.][database.]table)"
        )
    parts = set(partitions) if target != "lake" else set()
    cols = [
        _col(sql).as_(name)
        for name, sql in QUERY_COLUMNS
        if not (name == "file" and target == "lake")
    ]
    source = exp.to_table(_LAKE_TABLE if target == "lake" else table)
    conds: list[Any] = [
        exp.or_(
            exp.func(
                "regexp_like",
                _col("errorcode"),
                exp.Literal.string(DENIAL_CODE_PATTERN),
            ),
            exp.func(
                "regexp_like",
                _col("errormessage"),
                exp.Literal.string(DENIAL_MESSAGE_PATTERN),
            ),
        )
    ]
    ts = exp.column("timestamp", quoted=True)
    if flt.since is not None:
        if "timestamp" in parts:
            conds.append(ts >= exp.Literal.string(_day(flt.since.astimezone(dt.UTC))))
        conds.append(_col("eventtime") >= _time_literal(flt.since, target))
    if flt.until is not None:
        last = flt.delivered_until()
        if "timestamp" in parts and last is not None:
            conds.append(ts <= exp.Literal.string(_day(last.astimezone(dt.UTC))))
        conds.append(_col("eventtime") <= _time_literal(flt.until, target))
    if flt.accounts:
        column = (
            exp.column("account") if "account" in parts else _col("recipientaccountid")
        )
        conds.append(_in(column, flt.accounts))
    if flt.regions:
        column = exp.column("region") if "region" in parts else _col("awsregion")
        conds.append(_in(column, flt.regions))
    if flt.principal:
        who = exp.Literal.string(flt.principal)
        conds.append(
            exp.or_(
                _col("useridentity.arn").eq(who),
                _col("useridentity.sessioncontext.sessionissuer.arn").eq(who.copy()),
            )
        )
    query = exp.select(*cols).from_(source).where(exp.and_(*conds))
    return query.order_by(_col("eventtime"), _col("eventid"))


def render_query(query: exp.Select, target: Target, store: str | None = None) -> str:
    """SQL text for `target`: Trino for Athena and Lake, DuckDB's dialect for DuckDB."""
    if target == "duckdb":
        return query.sql(dialect="duckdb", pretty=True)
    sql = query.sql(dialect="trino", pretty=True)
    if target == "lake":
        if store is None:
            raise QueryError("CloudTrail Lake needs the event data store id")
        # Lake's FROM takes the bare store id, which is no SQL identifier (hyphens).
        sql = sql.replace(_LAKE_TABLE, lake_table_id(store))
    return sql


# The CloudTrail table from "Create the table for CloudTrail logs in Athena using partition
# projection" (Athena User Guide), with the organization-wide layout's account and region
# as projected partitions too, so one table covers every account and region of the trail.
_DDL_COLUMNS = """\
    eventversion STRING,
    useridentity STRUCT<
        type: STRING,
        principalid: STRING,
        arn: STRING,
        accountid: STRING,
        invokedby: STRING,
        accesskeyid: STRING,
        username: STRING,
        onbehalfof: STRUCT<
             userid: STRING,
             identitystorearn: STRING>,
        sessioncontext: STRUCT<
            attributes: STRUCT<
                mfaauthenticated: STRING,
                creationdate: STRING>,
            sessionissuer: STRUCT<
                type: STRING,
                principalid: STRING,
                arn: STRING,
                accountid: STRING,
                username: STRING>,
            ec2roledelivery: STRING,
            webidfederationdata: STRUCT<
                federatedprovider: STRING,
                attributes: map<string,string>>
        >
    >,
    eventtime STRING,
    eventsource STRING,
    eventname STRING,
    awsregion STRING,
    sourceipaddress STRING,
    useragent STRING,
    errorcode STRING,
    errormessage STRING,
    requestparameters STRING,
    responseelements STRING,
    additionaleventdata STRING,
    requestid STRING,
    eventid STRING,
    readonly STRING,
    resources ARRAY<STRUCT<
        arn: STRING,
        accountid: STRING,
        type: STRING>>,
    eventtype STRING,
    apiversion STRING,
    recipientaccountid STRING,
    serviceeventdetails STRING,
    sharedeventid STRING,
    vpcendpointid STRING,
    vpcendpointaccountid STRING,
    eventcategory STRING,
    addendum STRUCT<
      reason: STRING,
      updatedfields: STRING,
      originalrequestid: STRING,
      originaleventid: STRING>,
    sessioncredentialfromconsole STRING,
    edgedevicedetails STRING,
    tlsdetails STRUCT<
      tlsversion: STRING,
      ciphersuite: STRING,
      clientprovidedhostheader: STRING>"""

_S3_PREFIX = re.compile(r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[^'\\\s]*)?$")


def athena_ddl(
    table: str,
    location: str,
    accounts: Collection[str],
    regions: Collection[str],
    start: dt.date,
) -> str:
    """CREATE EXTERNAL TABLE for a trail's `s3://bucket/[prefix/]AWSLogs/[o-id/]` prefix."""
    if not _TABLE_NAME.match(table):
        raise QueryError(f"not a table name: {table!r}")
    if not _S3_PREFIX.match(location):
        raise QueryError(
            f"not an S3 prefix: {location!r} (s3://bucket/AWSLogs/ or "
            "s3://bucket/AWSLogs/o-xxxxxxxxxx/)"
        )
    if not accounts or not regions:
        raise QueryError(
            "partition projection needs the trail's accounts and regions "
            "(--account ID[,ID...] --region R[,R...])"
        )
    for a in accounts:
        if not re.fullmatch(r"\d{12}", a):
            raise QueryError(f"not an account id: {a!r}")
    for r in regions:
        if not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", r):
            raise QueryError(f"not a region: {r!r}")
    base = location.rstrip("/")
    template = base + "/${account}/CloudTrail/${region}/${timestamp}"
    return (
        f"CREATE EXTERNAL TABLE {table}(\n{_DDL_COLUMNS}\n  )\n"
        "PARTITIONED BY (\n   `account` string,\n   `region` string,\n"
        "   `timestamp` string)\n"
        "ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'\n"
        "STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'\n"
        "OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'\n"
        f"LOCATION\n  '{base}/'\n"
        "TBLPROPERTIES (\n"
        "  'projection.enabled'='true',\n"
        "  'projection.account.type'='enum',\n"
        f"  'projection.account.values'='{','.join(sorted(accounts))}',\n"
        "  'projection.region.type'='enum',\n"
        f"  'projection.region.values'='{','.join(sorted(regions))}',\n"
        "  'projection.timestamp.format'='yyyy/MM/dd',\n"
        "  'projection.timestamp.interval'='1',\n"
        "  'projection.timestamp.interval.unit'='DAYS',\n"
        f"  'projection.timestamp.range'='{start.strftime('%Y/%m/%d')},NOW',\n"
        "  'projection.timestamp.type'='date',\n"
        f"  'storage.location.template'='{template}')"
    )


def check_projection(
    partition_keys: Collection[str], parameters: dict[str, str]
) -> list[str]:
    """Why a table's partitioning cannot serve the query (empty when it can)."""
    problems: list[str] = []
    keys = {k.lower() for k in partition_keys}
    if "timestamp" not in keys:
        problems.append(
            "the table has no `timestamp` partition (partition keys: "
            f"{', '.join(sorted(keys)) or 'none'}): every query would scan the whole trail"
        )
    if str(parameters.get("projection.enabled", "")).lower() != "true":
        problems.append(
            "partition projection is not enabled ('projection.enabled'='true')"
        )
    fmt = parameters.get("projection.timestamp.format")
    if "timestamp" in keys and fmt is not None and fmt != "yyyy/MM/dd":
        problems.append(
            f"'projection.timestamp.format' is {fmt!r}, but CloudTrail's S3 layout "
            "is yyyy/MM/dd"
        )
    template = parameters.get("storage.location.template", "")
    if template:
        for key in keys & ALL_PARTITIONS:
            if "${" + key + "}" not in template:
                problems.append(f"'storage.location.template' does not use ${{{key}}}")
    return problems
