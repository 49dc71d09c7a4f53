"""Structured logging with secret redaction, and the run summary every main script emits.

``configure_logging`` installs one handler on the root logger: JSON lines in production
(``{"ts", "level", "logger", "message", <extra fields>, "exc"}``), readable single lines in
development. Every string it writes -- message, arguments, ``extra`` values, exception text --
passes through ``redact``, which replaces:

- the values of the environment variables named in ``secrets=`` and of every environment
  variable whose name ends in TOKEN, PASSWORD, PASSWD, SECRET, API_KEY or APIKEY (values shorter
  than ``MIN_SECRET_LENGTH`` are ignored: redacting "1" everywhere would garble every log),
- values registered with ``add_secret``,
- URL passwords (``postgresql://u:pw@h`` -> ``postgresql://u:***@h``) and ``password=...`` pairs.

``RunSummary.emit`` logs the summary, writes ``run_summary.json`` (into ``out_dir`` or the
current directory, Kestra's working directory) and, under Kestra, writes Kestra's output and
metric lines to stdout. Kestra is detected by ``KESTRA_EMIT`` when set (``1``/``true`` forces
on, ``0``/``false`` forces off), else by the pair ``WORKING_DIR`` + ``OUTPUT_DIR`` that
Kestra's script tasks inject. The wire format is Kestra's documented one (the ``kestra``
package's ``Kestra.outputs``/``counter``/``timer`` print exactly these lines), so this module
does not depend on that package::

    ::{"outputs":{"workflow":"orders","status":"success",...}}::
    ::{"metrics":[{"name":"rows","type":"counter","value":42,"tags":{}},
                  {"name":"duration","type":"timer","value":12.7,"tags":{}}]}::

Counts become counters, ``metric()`` values counters (Kestra accepts only counter|timer), and
the run's duration a timer in seconds. Under Kestra log lines go to stdout (Kestra reads
both streams; stderr may mark the task as warning), elsewhere to stderr.
"""

from __future__ import annotations

from .handler import _CHATTY as _CHATTY
from .handler import _TextFormatter as _TextFormatter
from .handler import configure_logging, get_logger
from .kestra import kestra_enabled
from .redaction import MASK as MASK
from .redaction import MIN_SECRET_LENGTH, add_secret, format_exception, redact
from .redaction import _Redactor as _Redactor
from .summary import RunSummary

# MASK is importable from here as before the split, though not in __all__; so are _CHATTY,
# _Redactor and _TextFormatter for the framework tests. The redactor in use is
# redaction._redactor: patch it there (rebinding a name here has no effect).
__all__ = [
    "MIN_SECRET_LENGTH",
    "RunSummary",
    "add_secret",
    "configure_logging",
    "format_exception",
    "get_logger",
    "kestra_enabled",
    "redact",
]

# Public classes and functions name the package as their module, as before the split
# (tracebacks, reprs and pickles use the public path).
for _public in __all__:
    if callable(globals()[_public]):
        globals()[_public].__module__ = __name__
del _public
