"""What is installed or declared: site-packages, interpreters, requirements files, pyproject.

Pure: ``requirements_model`` (the entry types), ``requirement_text`` (one requirement string),
``notebook_installs`` (whether a notebook cell installs in a way the reader cannot read).
I/O, each reading only what it is pointed at: ``requirements``, ``requirements_txt`` and
``pyproject`` read the files they are given; ``discover`` looks for requirements files in a
folder; ``installed`` reads a site-packages folder (or asks an interpreter for its folders) and
``interpreter`` asks an interpreter about itself, both through the ``system.process`` runner
they are passed; ``git_tracked`` reads a checkout's git index (never running git) to tell a
committed virtual environment. Nothing here fetches anything.

May import: ``pipvet.errors``, ``pipvet.models``, ``pipvet.system``; never the layers above.
"""
