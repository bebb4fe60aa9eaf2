"""The formats each command's report is written in, and the other names a parser shows. Imports
nothing: a command's parser offers these as choices, and ``pipvet CMD --help`` should not load
the renderers that write them."""

from __future__ import annotations

__all__ = [
    "AUDIT_FORMATS",
    "CYCLONEDX_VERSIONS",
    "DOCTOR_FORMATS",
    "FLEET_FORMATS",
    "STYLESHEET_NAME",
    "UPDATE_FORMATS",
    "VET_FORMATS",
]

AUDIT_FORMATS: tuple[str, ...] = ("text", "json", "markdown", "sarif")
UPDATE_FORMATS: tuple[str, ...] = AUDIT_FORMATS
VET_FORMATS: tuple[str, ...] = ("text", "json", "markdown")
DOCTOR_FORMATS: tuple[str, ...] = ("text", "json", "markdown")
FLEET_FORMATS: tuple[str, ...] = ("text", "json", "markdown")

# The CycloneDX versions `pipvet sbom --spec` offers, the default first (sbom.model's
# SpecVersion, which the writer takes, lists the same: tests/test_sbom_cli.py).
CYCLONEDX_VERSIONS: tuple[str, ...] = ("1.6", "1.5")

# The stylesheet's file name with `pipvet report --css external` (its parser names it).
STYLESHEET_NAME = "pipvet.css"
