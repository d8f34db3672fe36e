#!/usr/bin/env python3
"""Writes the names of the standard-library modules and of the builtins.

Run by `go generate` in this directory; the outputs are committed so the
build needs no Python. The module list is python3's sys.stdlib_module_names
(3.10+) plus a few names of older Python versions that code still imports.
"""
import builtins
import sys

LEGACY = {
    "__builtin__", "_winreg", "asynchat", "asyncore", "cPickle", "cStringIO",
    "ConfigParser", "Queue", "SocketServer", "StringIO", "Tkinter", "commands",
    "cookielib", "distutils", "dummy_threading", "exceptions", "httplib",
    "imp", "md5", "new", "sets", "sha", "smtpd", "thread", "urllib2",
    "urlparse", "xmlrpclib", "HTMLParser", "htmlentitydefs", "repr",
    "UserDict", "UserList", "UserString", "copy_reg", "anydbm", "dbhash",
    "dumbdbm", "gdbm", "whichdb", "robotparser", "Cookie", "BaseHTTPServer",
    "SimpleHTTPServer", "CGIHTTPServer", "Dialog", "FileDialog", "Tix",
    "ttk", "tkMessageBox", "tkFileDialog", "tkSimpleDialog", "__future__",
}

def main():
    mods = sorted(set(sys.stdlib_module_names) | LEGACY)
    with open("stdlib_modules.txt", "w") as f:
        f.write("\n".join(mods) + "\n")
    names = sorted(n for n in dir(builtins) if not n.startswith("__") or n in ("__import__", "__build_class__"))
    with open("builtins.txt", "w") as f:
        f.write("\n".join(names) + "\n")

if __name__ == "__main__":
    main()
