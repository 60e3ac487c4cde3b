"""Run settings: one pydantic-settings object, overridable by AKHBAR_* environment variables."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, PrivateAttr
from pydantic_settings import BaseSettings, SettingsConfigDict

# The one default data dir: the CLI, the Prefect parameters, prefect.yaml and the Makefile use it;
# AKHBAR_DATA_DIR overrides it everywhere (the CLI's --data-dir overrides both).
DEFAULT_DATA_DIR = Path("data")


def default_data_dir() -> Path:
    return Path(os.environ.get("AKHBAR_DATA_DIR") or DEFAULT_DATA_DIR)


class FieldMap(BaseSettings):
    """Which JSON keys feed which article field; the first present, non-empty key wins."""

    model_config = SettingsConfigDict(env_prefix="AKHBAR_FIELD_", extra="ignore")

    text: list[str] = ["text", "content", "body", "article", "article_text", "html", "raw_html"]
    title: list[str] = ["title", "headline", "heading"]
    url: list[str] = ["url", "link", "href", "canonical_url", "source_url"]
    id: list[str] = ["id", "_id", "doc_id", "article_id", "guid", "uid"]
    published: list[str] = [
        "published_at",
        "published",
        "date",
        "pub_date",
        "datePublished",
        "publish_date",
        "created_at",
        "time",
    ]
    author: list[str] = ["author", "authors", "byline", "writer"]
    outlet: list[str] = ["outlet", "source", "site", "site_name", "publisher", "source_name", "domain"]
    category: list[str] = ["category", "section", "categories"]
    keywords: list[str] = ["keywords", "tags"]
    # field -> key the user chose (prefer): tasks/fields.py maps these first, whatever the values look like
    _overrides: dict[str, str] = PrivateAttr(default_factory=dict)

    def prefer(self, name: str, key: str) -> None:
        """Look at `key` first for field `name` (a user override such as text=body_html)."""
        if name not in type(self).model_fields:
            raise ValueError(f"unknown field {name!r}; known: {', '.join(type(self).model_fields)}")
        setattr(self, name, [key] + [k for k in getattr(self, name) if k != key])
        self._overrides[name] = key

    @property
    def overrides(self) -> dict[str, str]:
        return dict(self._overrides)


class LearnedSettings(BaseSettings):
    """Learned boilerplate (tasks/learned.py): when a line an outlet repeats is removed. Measured on
    the shared corpus (BENCHMARKS.md, "Learned boilerplate"): with these values every line removed
    there was a disclaimer, credit, app notice, partner note or leaked lead, and no body sentence."""

    model_config = SettingsConfigDict(env_prefix="AKHBAR_LEARNED_", extra="ignore")

    enabled: bool = True
    # A template line: in at least this many distinct stories of the outlet (this run + history) ...
    min_stories: int = Field(default=8, ge=2)
    # ... published on at least this many different days (shared background paragraphs run for days) ...
    min_days: int = Field(default=5, ge=1)
    # ... with a median distance of at most this many lines from the body's first or last line.
    max_edge: float = Field(default=2, ge=0)
    # Lines longer than this many words are never learned (nor stored in `lines`).
    max_words: int = Field(default=80, ge=1)
    # A leaked lead: one story's first line found, not first, in at least this many other stories ...
    min_leaks: int = Field(default=2, ge=1)
    # ... and at least this many words long (a sentence, not a heading).
    lead_min_words: int = Field(default=8, ge=1)
    # A leaked lead among the last this many lines opens a news box: the lines from it to the end go.
    box_max_lines: int = Field(default=6, ge=0)
    # A body line (not the first) that is the title of another story of the outlet is a link to it,
    # when it is this many words long (short titles such as "زيارة بوتين؟" also serve as subheadings).
    title_min_words: int = Field(default=4, ge=1)
    title_max_words: int = Field(default=25, ge=1)
    # Runs of two or more headline-shaped lines between paragraphs (each title_min_words to
    # title_max_words long) are taken for links wherever they are, in an outlet whose runs hold its own
    # stories' titles this often (share of run lines, this run + history) over at least this many run
    # lines. On the shared corpus: BBC 0.30 of 1,696 lines; CNN, Al Arabiya, France 24 and Sky News
    # 0.00 (their runs are line-ups, fact lists, award winners, verse).
    link_min_share: float = Field(default=0.1, ge=0, le=1)
    link_min_lines: int = Field(default=30, ge=1)
    # In such an outlet, a lone headline this many words long between two paragraphs, the second going on
    # from the first, is a link too (shorter lone headlines are mostly subheadings).
    lone_link_min_words: int = Field(default=8, ge=1)
    # Records without a date (archives whose date key is unknown): a template line needs min_stories undated
    # stories from at least this many distinct input files or nights instead of min_days days.
    min_sources: int = Field(default=3, ge=1)
    # Learned line templates (tasks/templates.py): a fixed prefix of the first or last line, or a label in the
    # last line, in at least this many stories from min_sources files, of at most template_max_words words,
    # followed by text that varies (distinct lines / stories at least template_min_variety).
    template_min_stories: int = Field(default=8, ge=2)
    template_max_words: int = Field(default=8, ge=1)
    template_min_variety: float = Field(default=0.8, ge=0, le=1)
    # An outlet whose first body line is a short label (a reporter's name, an image caption: at most 4 words,
    # headline-shaped, above a paragraph) in at least this share of its stories, over at least slot_min_stories
    # stories, has a caption/byline slot there: such first lines go. Measured: Akhbar El-Yom 0.40, El-Dostor
    # 0.47, El-Fagr 0.37; every other outlet of the shared corpora 0.10 or less (Al-Ahram's column subtitles).
    slot_min_share: float = Field(default=0.25, ge=0, le=1)
    slot_min_stories: int = Field(default=50, ge=1)
    # A reporter of the outlet: a name the rules read as the author of at least this many of its stories (none
    # of whose words the story uses). Such a name alone above the story is a byline, even where the story uses
    # a word of it. Measured on egynews2013 (held out, each outlet alone): Akhbar El-Yom 125 names, El-Fagr 68,
    # Masrawy 68, Al-Ahram 1; El-Dostor none (its "authors" read from captions fail the words test); at 2-3
    # stories subjects and column names come in ("أبو تريكة", "شوية عقل").
    reporter_min_stories: int = Field(default=5, ge=1)


class LanguageSettings(BaseSettings):
    """The language stage (tasks/language.py): which records are not Arabic. Measured on the shared
    corpora and the samples (BENCHMARKS.md, "Reliability"): with these values none of their records goes."""

    model_config = SettingsConfigDict(env_prefix="AKHBAR_LANGUAGE_", extra="ignore")

    enabled: bool = True
    # Below this share of Arabic-script letters a text is not Arabic, whatever langid scores.
    min_arabic_script: float = Field(default=0.5, ge=0, le=1)
    # Arabic-script text is given to langid when this share of its letters are ones Arabic does not
    # use (Persian, Urdu, Pashto, Kurdish letters) ...
    doubt_share: float = Field(default=0.01, ge=0, le=1)
    # ... and leaves only when langid names another language with at least this probability.
    min_score: float = Field(default=0.9, ge=0, le=1)


class Settings(BaseSettings):
    """Knobs of a run. Defaults are what the nightly flow uses."""

    model_config = SettingsConfigDict(env_prefix="AKHBAR_", extra="ignore")

    data_dir: Path = DEFAULT_DATA_DIR
    # Records per partition: what one stage holds in memory at once (the corpus is 16 partitions of 2,000).
    batch_size: int = Field(default=2000, ge=1)
    # Bodies shorter than this many words after cleaning are quarantined by validation.
    min_words: int = Field(default=20, ge=1)
    max_words: int = Field(default=50_000, ge=1)
    # Share of letters that must be Arabic script (warning, mostly 0.95: names in Latin script happen).
    min_arabic_ratio: float = Field(default=0.95, ge=0, le=1)
    # Bodies shorter than this many characters are quarantined.
    min_chars: int = Field(default=80, ge=1)
    # Earliest publication date the validation suite accepts.
    earliest_published: str = "1990-01-01"
    # A record (a JSON line, a text or HTML file, a JSON document) larger than this many bytes is
    # quarantined with its size instead of parsed: one runaway input must not exhaust memory.
    max_record_bytes: int = Field(default=16 << 20, ge=1024)
    # Bounds on one landing file, so that no input exhausts memory or time. A file larger on disk
    # than max_file_bytes is skipped with its size; a file (a gzip, above all) is read until it has
    # unpacked max_decompressed_bytes, then the rest is one quarantine row naming the file and line
    # (checked while streaming: a gzip bomb stops at the bound, never unpacks whole).
    # (Defaults: 20x and 40x the largest shared corpus file, 100 MB unpacked.)
    max_file_bytes: int = Field(default=2 << 30, ge=1024)
    max_decompressed_bytes: int = Field(default=4 << 30, ge=1024)
    # A JSON line longer than this many bytes is quarantined with its size (read past in chunks).
    max_line_bytes: int = Field(default=16 << 20, ge=1024)
    # A JSON record nested deeper than this (lists and objects inside each other) is quarantined.
    max_json_depth: int = Field(default=64, ge=2)
    # Quarantine keeps at most this many bytes of a record's payload, with the full payload's size
    # and sha256 (a 1 GiB line must not become a 1 GiB row every later run reads).
    max_payload_bytes: int = Field(default=1 << 20, ge=256)
    # A run that finds another run writing to the same data dir waits this many seconds for it, then
    # stops with a message naming the holder (0: stop at once).
    lock_wait_seconds: float = Field(default=0, ge=0)
    # Processes that run partitions through the per-record stages at once (1: all in the run's own
    # process, the least memory; default: one per core). Each worker holds its own imports (~0.3 GB).
    workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1)
    # Address of an existing Dask scheduler (e.g. tcp://10.0.0.5:8786): the per-partition stages then
    # run on its workers through Prefect's DaskTaskRunner instead of `workers` local processes. Needs
    # the `dask` extra and a real Prefect server (PREFECT_API_URL); see README, "Beyond one machine".
    dask_address: str | None = None
    # Runs whose Great Expectations Data Docs are kept under DIR/reports/<run_id>/.
    reports_keep: int = Field(default=30, ge=1)
    fields: FieldMap = Field(default_factory=FieldMap)
    learned: LearnedSettings = Field(default_factory=LearnedSettings)
    language: LanguageSettings = Field(default_factory=LanguageSettings)


def get_settings(**overrides) -> Settings:
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
