"""Import names that are not the name of the distribution that provides them.

``pip install sklearn`` (or ``cv2``, ``yaml``, ``PIL``...) is a classic mistake: the user typed
the name they import, and the index either has nothing by that name (an install waiting for a
squatter), a placeholder, or an unrelated project. Keys are import names canonicalised like
project names (PEP 503: lower case, runs of ``-_.`` as one ``-``); values are the canonical
name of the distribution to install. Only well-established, unambiguous pairs belong here.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["IMPORT_NAME_TO_DISTRIBUTION"]

_PAIRS: dict[str, str] = {
    # data science and machine learning
    "sklearn": "scikit-learn",
    "skimage": "scikit-image",
    "skopt": "scikit-optimize",
    "skbuild": "scikit-build",
    "cv2": "opencv-python",
    "pil": "pillow",
    "umap": "umap-learn",
    "faiss": "faiss-cpu",
    "osgeo": "gdal",
    "shapefile": "pyshp",
    "absl": "absl-py",
    "haystack": "haystack-ai",
    "fitz": "pymupdf",
    "tabula": "tabula-py",
    "camelot": "camelot-py",
    "pdfminer": "pdfminer-six",
    "speech-recognition": "speechrecognition",
    "cpuinfo": "py-cpuinfo",
    "markdown-it": "markdown-it-py",
    # parsing, formats, documents
    "bs4": "beautifulsoup4",
    "yaml": "pyyaml",
    "dateutil": "python-dateutil",
    "docx": "python-docx",
    "pptx": "python-pptx",
    "odf": "odfpy",
    "magic": "python-magic",
    "slugify": "python-slugify",
    "pythonjsonlogger": "python-json-logger",
    "attr": "attrs",
    # security and crypto
    "jwt": "pyjwt",
    "crypto": "pycryptodome",
    "cryptodome": "pycryptodomex",
    "openssl": "pyopenssl",
    "nacl": "pynacl",
    "jose": "python-jose",
    "jks": "pyjks",
    # configuration, web, networking
    "dotenv": "python-dotenv",
    "socketio": "python-socketio",
    "engineio": "python-engineio",
    "telegram": "python-telegram-bot",
    "websocket": "websocket-client",
    "socks": "pysocks",
    "dns": "dnspython",
    "zmq": "pyzmq",
    "grpc": "grpcio",
    "kafka": "kafka-python",
    "snappy": "python-snappy",
    "discord": "discord-py",
    # databases
    "mysqldb": "mysqlclient",
    "bson": "pymongo",
    "cassandra": "cassandra-driver",
    "ldap": "python-ldap",
    # developer tools and system access
    "git": "gitpython",
    "github": "pygithub",
    "gitlab": "python-gitlab",
    "jenkins": "python-jenkins",
    "consul": "python-consul",
    "keycloak": "python-keycloak",
    "pkg-resources": "setuptools",
    "gi": "pygobject",
    "cairo": "pycairo",
    "wx": "wxpython",
    "opengl": "pyopengl",
    "xlib": "python-xlib",
    "win32api": "pywin32",
    "win32con": "pywin32",
    "win32com": "pywin32",
    "pythoncom": "pywin32",
    # hardware
    "serial": "pyserial",
    "usb": "pyusb",
    "bluetooth": "pybluez",
    "rpi": "rpi-gpio",
    "rtmidi": "python-rtmidi",
    "vlc": "python-vlc",
    "nmap": "python-nmap",
}

IMPORT_NAME_TO_DISTRIBUTION: Mapping[str, str] = MappingProxyType(_PAIRS)
