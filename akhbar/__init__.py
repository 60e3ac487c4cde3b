"""akhbar: ETL for scraped Arabic news.

The product's folders `flows/`, `tasks/`, `schemas/` and `warehouse/` sit at the top of the source tree
but are always imported as `akhbar.flows`, `akhbar.tasks`, ... so that nothing generic lands at the top of
site-packages. An installed wheel holds them inside this package (pyproject's `package-dir`); in a source
checkout (editable install, a worktree, `PYTHONPATH=.`) they are found beside it, in the checkout this
file belongs to, never in another checkout an editable install points at.
"""

from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parent.parent
if not (Path(__file__).resolve().parent / "tasks").is_dir() and (_CHECKOUT / "tasks" / "__init__.py").is_file():
    __path__.append(str(_CHECKOUT))  # noqa: F821 (a package's __path__)
