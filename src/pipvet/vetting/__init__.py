"""Should I depend on this package? The pure parts of ``pipvet vet``.

Popularity list parsing, the typosquat index, the individual signals and the verdict live
here; none of them touches the network, the disk or a database.
"""
