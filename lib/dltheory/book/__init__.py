"""What builds, tests and packages the book; no page imports it.

``notebooks``     pairing of MyST pages with their ``.ipynb`` (jupytext), running pages, student versions
                  (``python -m dltheory.book.notebooks``)
``sphinxext``     the Sphinx extension that collects every verdict of the executed pages and writes the
                  claims ledger (named in ``_config.yml``)
``course``        course packs for instructors (``python -m dltheory.book.course``);
``course_pages``  its page handling: chapters, titles, links rewritten, solutions hidden
``publish``       the Sphinx extension for publishing (named in ``_config.yml``): MathJax served with the site,
                  no traceback or stderr on a page (and the check of a build's executed pages), the PDF's macros
                  and its exercises without solutions
"""
