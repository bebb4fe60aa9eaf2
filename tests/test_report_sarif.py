from __future__ import annotations

import json
import re
from typing import Any

import pytest
from packaging.utils import canonicalize_name

from pipvet.frozen import replace
from pipvet.models import AuditReport, DependencyResult, Location
from pipvet.report.sarif import render_sarif
from tests.report_samples import EVIL, FULL, MISTUNE, REQUESTS, SAMPLES, URLLIB3

# ---------------------------------------------------------------------------- a small validator
# The parts of the SARIF 2.1.0 schema that pipvet's output uses. The schema forbids properties it
# does not name ("additionalProperties": false), so unknown keys are errors here too.

ALLOWED = {
    "log": {"$schema", "version", "runs", "inlineExternalProperties", "properties"},
    "run": {
        "tool", "invocations", "conversion", "language", "versionControlProvenance",
        "originalUriBaseIds", "artifacts", "logicalLocations", "graphs", "results",
        "automationDetails", "runAggregates", "baselineGuid", "redactionTokens",
        "defaultEncoding", "defaultSourceLanguage", "newlineSequences", "columnKind",
        "externalPropertyFileReferences", "threadFlowLocations", "taxonomies", "addresses",
        "translations", "policies", "webRequests", "webResponses", "specialLocations",
        "properties",
    },
    "tool": {"driver", "extensions", "properties"},
    "toolComponent": {
        "guid", "name", "organization", "product", "productSuite", "shortDescription",
        "fullDescription", "fullName", "version", "semanticVersion", "dottedQuadFileVersion",
        "releaseDateUtc", "downloadUri", "informationUri", "globalMessageStrings",
        "notifications", "rules", "taxa", "locations", "language", "contents",
        "isComprehensive", "localizedDataSemanticVersion",
        "minimumRequiredLocalizedDataSemanticVersion", "associatedComponent",
        "translationMetadata", "supportedTaxonomies", "properties",
    },
    "reportingDescriptor": {
        "id", "deprecatedIds", "guid", "deprecatedGuids", "name", "deprecatedNames",
        "shortDescription", "fullDescription", "messageStrings", "defaultConfiguration",
        "helpUri", "help", "relationships", "properties",
    },
    "multiformatMessageString": {"text", "markdown", "properties"},
    "reportingConfiguration": {"enabled", "level", "rank", "parameters", "properties"},
    "result": {
        "ruleId", "ruleIndex", "rule", "kind", "level", "message", "analysisTarget",
        "locations", "guid", "correlationGuid", "occurrenceCount", "partialFingerprints",
        "fingerprints", "stacks", "codeFlows", "graphs", "graphTraversals", "relatedLocations",
        "suppressions", "baselineState", "rank", "attachments", "hostedViewerUri",
        "workItemUris", "provenance", "fixes", "taxa", "webRequest", "webResponse",
        "properties",
    },
    "message": {"text", "markdown", "id", "arguments", "properties"},
    "location": {
        "id", "physicalLocation", "logicalLocations", "message", "annotations",
        "relationships", "properties",
    },
    "physicalLocation": {"address", "artifactLocation", "region", "contextRegion", "properties"},
    "artifactLocation": {"uri", "uriBaseId", "index", "description", "properties"},
    "region": {
        "startLine", "startColumn", "endLine", "endColumn", "charOffset", "charLength",
        "byteOffset", "byteLength", "snippet", "message", "sourceLanguage", "properties",
    },
    "suppression": {"guid", "kind", "status", "justification", "location", "properties"},
    "invocation": {
        "commandLine", "arguments", "responseFiles", "startTimeUtc", "endTimeUtc", "exitCode",
        "ruleConfigurationOverrides", "notificationConfigurationOverrides",
        "toolExecutionNotifications", "toolConfigurationNotifications", "exitCodeDescription",
        "exitSignalName", "exitSignalNumber", "processStartFailureMessage",
        "executionSuccessful", "machine", "account", "processId", "executableLocation",
        "workingDirectory", "environmentVariables", "stdin", "stdout", "stderr",
        "stdoutStderr", "properties",
    },
    "notification": {
        "locations", "message", "level", "threadId", "timeUtc", "exception", "descriptor",
        "associatedRule", "properties",
    },
}  # fmt: skip
LEVELS = {"none", "note", "warning", "error"}
# RFC 3986 URI reference characters (no spaces, no raw non-ASCII).
URI_REFERENCE = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*$")


class Sarif:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def obj(self, value: Any, kind: str, where: str, required: tuple[str, ...] = ()) -> bool:
        if not isinstance(value, dict):
            self.errors.append(f"{where}: {kind} must be an object")
            return False
        for key in sorted(set(value) - ALLOWED[kind]):
            self.errors.append(f"{where}: {kind} does not allow {key!r}")
        for key in required:
            if key not in value:
                self.errors.append(f"{where}: {kind} requires {key!r}")
        if "properties" in value:
            self.property_bag(value["properties"], f"{where}.properties")
        return True

    def property_bag(self, bag: Any, where: str) -> None:
        if not isinstance(bag, dict):
            self.errors.append(f"{where}: must be an object")
            return
        tags = bag.get("tags", [])
        if not all(isinstance(t, str) for t in tags) or len(set(tags)) != len(tags):
            self.errors.append(f"{where}.tags: must be unique strings")

    def text(self, value: Any, kind: str, where: str) -> None:
        if self.obj(value, kind, where) and not isinstance(value.get("text"), str):
            self.errors.append(f"{where}: text must be a string")

    def uri(self, value: Any, where: str) -> None:
        if not isinstance(value, str) or not value or not URI_REFERENCE.match(value):
            self.errors.append(f"{where}: {value!r} is not a URI reference")

    def validate(self, log: Any) -> list[str]:
        if not self.obj(log, "log", "$", ("version", "runs")):
            return self.errors
        if log["version"] != "2.1.0":
            self.errors.append("$.version must be 2.1.0")
        for r, run in enumerate(log["runs"]):
            self.run(run, f"$.runs[{r}]")
        return self.errors

    def run(self, run: Any, where: str) -> None:
        if not self.obj(run, "run", where, ("tool",)):
            return
        self.obj(run["tool"], "tool", f"{where}.tool", ("driver",))
        driver = run["tool"]["driver"]
        self.obj(driver, "toolComponent", f"{where}.tool.driver", ("name",))
        self.uri(driver.get("informationUri"), f"{where}.tool.driver.informationUri")
        rules = driver.get("rules", [])
        for i, rule in enumerate(rules):
            w = f"{where}.rules[{i}]"
            self.obj(rule, "reportingDescriptor", w, ("id",))
            for key in ("shortDescription", "fullDescription", "help"):
                if key in rule:
                    self.text(rule[key], "multiformatMessageString", f"{w}.{key}")
            if "helpUri" in rule:
                self.uri(rule["helpUri"], f"{w}.helpUri")
            config = rule.get("defaultConfiguration", {})
            self.obj(config, "reportingConfiguration", f"{w}.defaultConfiguration")
            if config.get("level", "warning") not in LEVELS:
                self.errors.append(f"{w}: bad level")
        if len({rule["id"] for rule in rules}) != len(rules):
            self.errors.append(f"{where}: rule ids must be unique")
        for i, inv in enumerate(run.get("invocations", [])):
            w = f"{where}.invocations[{i}]"
            self.obj(inv, "invocation", w, ("executionSuccessful",))
            for j, note in enumerate(inv.get("toolExecutionNotifications", [])):
                self.obj(note, "notification", f"{w}.notes[{j}]", ("message",))
                if "message" in note:
                    self.text(note["message"], "message", f"{w}.notes[{j}].message")
                if note.get("level", "warning") not in LEVELS:
                    self.errors.append(f"{w}.notes[{j}]: bad level")
        for i, result in enumerate(run.get("results", [])):
            self.result(result, rules, f"{where}.results[{i}]")

    def result(self, result: Any, rules: list[Any], where: str) -> None:
        if not self.obj(result, "result", where, ("message",)):
            return
        if "message" in result:
            self.text(result["message"], "message", f"{where}.message")
        if result.get("level", "warning") not in LEVELS:
            self.errors.append(f"{where}: bad level {result.get('level')!r}")
        index = result.get("ruleIndex", -1)
        if not isinstance(index, int) or not -1 <= index < len(rules):
            self.errors.append(f"{where}: ruleIndex out of range")
        elif index >= 0 and rules[index]["id"] != result.get("ruleId"):
            self.errors.append(f"{where}: ruleIndex and ruleId disagree")
        for i, loc in enumerate(result.get("locations", [])):
            w = f"{where}.locations[{i}]"
            self.obj(loc, "location", w)
            physical = loc.get("physicalLocation")
            if physical is not None:
                self.obj(physical, "physicalLocation", f"{w}.physicalLocation")
                if "artifactLocation" not in physical and "address" not in physical:
                    self.errors.append(f"{w}: needs artifactLocation or address")
                artifact = physical.get("artifactLocation", {})
                self.obj(artifact, "artifactLocation", f"{w}.artifactLocation")
                self.uri(artifact.get("uri"), f"{w}.artifactLocation.uri")
                if "region" in physical:
                    self.obj(physical["region"], "region", f"{w}.region")
                    line = physical["region"].get("startLine", 1)
                    if not isinstance(line, int) or line < 1:
                        self.errors.append(f"{w}.region.startLine must be >= 1")
        fingerprints = result.get("partialFingerprints", {})
        if not all(isinstance(v, str) for v in fingerprints.values()):
            self.errors.append(f"{where}: fingerprints must be strings")
        for i, sup in enumerate(result.get("suppressions", [])):
            self.obj(sup, "suppression", f"{where}.suppressions[{i}]", ("kind",))
            if sup.get("kind") not in {"inSource", "external"}:
                self.errors.append(f"{where}.suppressions[{i}]: bad kind")
            if sup.get("status", "accepted") not in {"accepted", "underReview", "rejected"}:
                self.errors.append(f"{where}.suppressions[{i}]: bad status")


def sarif(report: AuditReport, base_dir: str | None = "/home/ana/proj") -> dict[str, Any]:
    document: dict[str, Any] = json.loads(render_sarif(report, base_dir=base_dir))
    return document


def test_validator_catches_mistakes() -> None:
    log = sarif(FULL)
    log["runs"][0]["results"][0]["severity"] = "high"
    log["runs"][0]["results"][1]["ruleIndex"] = 0
    log["runs"][0]["results"][2]["level"] = "critical"
    del log["runs"][0]["results"][3]["message"]
    assert Sarif().validate(log) == [
        "$.runs[0].results[0]: result does not allow 'severity'",
        "$.runs[0].results[1]: ruleIndex and ruleId disagree",
        "$.runs[0].results[2]: bad level 'critical'",
        "$.runs[0].results[3]: result requires 'message'",
    ]


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_output_is_well_formed_sarif(name: str) -> None:
    log = sarif(SAMPLES[name])
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert log["version"] == "2.1.0"
    assert Sarif().validate(log) == []


# ---------------------------------------------------------------------------- content


def test_one_result_per_dependency_and_alias_group_one_rule_per_id() -> None:
    run = sarif(FULL)["runs"][0]
    pairs = [(r["properties"]["package"], r["ruleId"]) for r in run["results"]]
    expected = [(res.dependency.name, f.id) for res in FULL.results for f in res.findings]
    assert pairs == expected
    assert [rule["id"] for rule in run["tool"]["driver"]["rules"]] == [f for _, f in expected]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("pipvet", "0.1.0")


def test_same_advisory_in_two_packages_shares_one_rule() -> None:
    twin = DependencyResult(
        replace(REQUESTS.dependency, name=canonicalize_name("requests2")), REQUESTS.findings
    )
    run = sarif(replace(FULL, results=(REQUESTS, twin)))["runs"][0]
    assert [rule["id"] for rule in run["tool"]["driver"]["rules"]] == ["PYSEC-2018-28"]
    assert [r["ruleIndex"] for r in run["results"]] == [0, 0]
    prints = {r["partialFingerprints"]["pipvetFinding/v1"] for r in run["results"]}
    assert len(prints) == 2


def test_rule_details() -> None:
    rules = {rule["id"]: rule for rule in sarif(FULL)["runs"][0]["tool"]["driver"]["rules"]}
    requests = rules["PYSEC-2018-28"]
    assert requests["helpUri"] == "https://osv.dev/vulnerability/PYSEC-2018-28"
    assert requests["properties"]["security-severity"] == "7.5"
    assert "CVE-2018-18074" in requests["fullDescription"]["text"]
    assert len(requests["shortDescription"]["text"]) <= 120
    # A database label or malware has no computed score: none is invented.
    assert "security-severity" not in rules["PYSEC-2019-133"]["properties"]
    assert "security-severity" not in rules["MAL-2024-1234"]["properties"]
    assert "malware" in rules["MAL-2024-1234"]["properties"]["tags"]
    assert rules["GHSA-aaaa-bbbb-cccc"]["shortDescription"]["text"] == (
        "Known vulnerability in mistune"
    )


def test_levels_follow_severity_and_malware_is_an_error() -> None:
    levels = {r["ruleId"]: r["level"] for r in sarif(FULL)["runs"][0]["results"]}
    assert levels == {
        "PYSEC-2018-28": "error",  # high
        "PYSEC-2019-133": "warning",  # medium
        "GHSA-v845-jxx5-vc9f": "error",  # critical (ignored, still its level)
        "MAL-2024-1234": "error",  # malware
        "GHSA-aaaa-bbbb-cccc": "note",  # low
        "PYSEC-2022-9": "warning",  # unknown
    }


def test_message_says_how_to_fix() -> None:
    results = {r["ruleId"]: r for r in sarif(FULL)["runs"][0]["results"]}
    text = results["PYSEC-2018-28"]["message"]["text"]
    assert text.startswith("requests 2.19.0 has a known vulnerability PYSEC-2018-28")
    assert text.endswith("To fix: require requests>=2.20.0 and reinstall.")
    assert "credential" in results["MAL-2024-1234"]["message"]["text"]


def test_ignored_finding_is_suppressed_with_reason() -> None:
    results = {r["ruleId"]: r for r in sarif(FULL)["runs"][0]["results"]}
    assert results["GHSA-v845-jxx5-vc9f"]["suppressions"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "we never send cookies from batch jobs",
        }
    ]
    assert "suppressions" not in results["PYSEC-2019-133"]
    # The ignored finding needs more than the fix for the active ones.
    assert (
        "upgrade to a fixed release (1.26.17)"
        in (results["GHSA-v845-jxx5-vc9f"]["message"]["text"])
    )


def uri_of(location: Location | None, base_dir: str | None = "/home/ana/proj") -> Any:
    report = replace(FULL, results=(replace(URLLIB3, dependency=replace(
        URLLIB3.dependency, location=location)),))  # fmt: skip
    result = sarif(report, base_dir)["runs"][0]["results"][0]
    return result.get("locations")


@pytest.mark.parametrize(
    ("location", "base_dir", "uri", "line"),
    [
        (Location("requirements.txt", 4), None, "requirements.txt", 4),
        (Location("reqs/dev requirements.txt", 2), None, "reqs/dev%20requirements.txt", 2),
        (Location("/home/ana/proj/requirements.txt", 9), "/home/ana/proj", "requirements.txt", 9),
        (Location("/home/ana/proj/.venv/x.dist-info"), "/home/ana/proj", ".venv/x.dist-info", None),
        (Location("/opt/ä.dist-info"), "/home/ana/proj", "file:///opt/%C3%A4.dist-info", None),
        (Location("/opt/site/x#1.dist-info"), None, "file:///opt/site/x%231.dist-info", None),
        (Location("C:\\proj\\requirements.txt", 3), None, "file:///C:/proj/requirements.txt", 3),
    ],
)  # fmt: skip
def test_locations(location: Location, base_dir: str | None, uri: str, line: int | None) -> None:
    (loc,) = uri_of(location, base_dir)
    physical = loc["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == uri
    assert physical.get("region", {}).get("startLine") == line


def test_no_location_means_no_locations() -> None:
    assert uri_of(None) is None


def test_fingerprints_survive_version_bumps_and_line_moves() -> None:
    def fingerprint(result: DependencyResult) -> str:
        run = sarif(replace(FULL, results=(result,)))["runs"][0]
        value: str = run["results"][0]["partialFingerprints"]["pipvetFinding/v1"]
        return value

    moved = replace(
        REQUESTS.dependency, version="2.19.1", location=Location("requirements.txt", 30)
    )
    assert fingerprint(REQUESTS) == fingerprint(replace(REQUESTS, dependency=moved))
    assert fingerprint(REQUESTS) != fingerprint(URLLIB3)


def test_unchecked_and_notes_become_notifications() -> None:
    (inv,) = sarif(FULL)["runs"][0]["invocations"]
    texts = [n["message"]["text"] for n in inv["toolExecutionNotifications"]]
    assert texts == [
        "Not checked: flask: not pinned: audit the installed environment",
        "Not from a package index, not audited by version: mylib 0.1.dev0: editable install "
        "from a local folder: not from an index, so no advisory can name it",
        "Policy ignore PYSEC-2017-1 expired on 2024-09-30 and was not applied.",
        "Policy ignore GHSA-zzzz-zzzz-zzzz matched nothing.",
        "the advisory data is 3 hours old; run 'pipvet db sync' for the newest",
    ]
    run = sarif(FULL)["runs"][0]
    assert run["properties"]["verdict"] == "fail"


def test_empty_report_is_valid() -> None:
    log = sarif(replace(FULL, results=(), ignore_notes=(), warnings=()))
    assert Sarif().validate(log) == []
    assert log["runs"][0]["results"] == []
    assert log["runs"][0]["tool"]["driver"]["rules"] == []


def test_malware_and_mistune_keep_their_order() -> None:
    run = sarif(replace(FULL, results=(EVIL, MISTUNE)))["runs"][0]
    assert [r["ruleId"] for r in run["results"]] == [
        "MAL-2024-1234",
        "GHSA-aaaa-bbbb-cccc",
        "PYSEC-2022-9",
    ]
