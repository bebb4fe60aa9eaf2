"""Advisory data: OSV record parsing, version matching, the local store and its sync."""
