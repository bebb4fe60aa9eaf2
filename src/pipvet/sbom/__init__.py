"""SBOMs out and in: write an environment's components, dependency graph and pipvet's
vulnerabilities as CycloneDX 1.5/1.6 or SPDX 2.3 JSON, and read SBOMs that other tools or
other machines wrote back into an inventory of (name, version) components.

Pure: ``model`` (the inventory and document values that ``fleet`` and ``report`` import),
``cyclonedx`` and ``spdx`` (document in, JSON text out), ``parse`` with ``parse_fields``
(JSON value in, inventory out). I/O: ``collect`` reads installed metadata (licences,
Requires-Dist, RECORD, PEP 770 ``dist-info/sboms``) and ``read`` reads an SBOM file with a
size cap, refusing anything that is not a regular file.

May import: ``pipvet.models``, ``pipvet.errors``, ``pipvet.system``, ``pipvet.inputs``,
``pipvet.advisories`` and ``pipvet.audit`` (vulnerabilities come from the audit, never from a
second matcher); never ``cli``, ``report`` or ``fleet``.
"""
