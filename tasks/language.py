"""Language stage: a record whose text is not Arabic is quarantined with the language and score
py3langid names for it, so an English (or Persian) feed costs its own records, never the batch at
the validation gate.

py3langid (a maintained fork of langid.py) ships its model inside the wheel: no download at run
time. It costs about 3 ms per article on this machine, so it is asked only where the answer is in
doubt (measured in BENCHMARKS.md, "Reliability"):

* letters mostly outside the Arabic script: not Arabic, whatever else it is; langid names it;
* Arabic script holding letters Arabic does not use (پ چ ژ گ ک ی ٹ ڈ ڑ ں ے ۀ ...) often enough that
  the text may be Persian, Urdu, Pashto, Kurdish...: langid decides, and only a confident answer
  (`language_min_score`) naming another language quarantines the record;
* otherwise (nearly every Arabic article): Arabic, without asking.

Arabic is `ar` and langid's dialect labels `arz` (Egyptian) and `ary` (Moroccan).
"""

from __future__ import annotations

import re
from functools import lru_cache

import pyarrow as pa
from akhbar.schemas.tables import PAGE
from akhbar.tasks.arabic import arabic_ratio, letter_counts
from akhbar.tasks.base import StageResult, drop_positions, quarantine_rows

from akhbar.settings import LanguageSettings

ARABIC = frozenset({"ar", "arz", "ary"})
# Letters of Persian, Urdu, Pashto, Kurdish, Sindhi, Uyghur that Arabic news rarely writes (names
# and Maghreb place names use a few: گ, پ, ڤ ... hence a share, not a presence).
_NON_ARABIC_LETTERS = re.compile("[پچژگکیٹڈڑںےۀۃہھۆێڵڕۇۈۋېٻټځڅډړږښګڼۍ]")
# Characters of a text langid reads: the start holds the title and lead, enough to name a language.
SAMPLE_CHARS = 1000


@lru_cache(maxsize=1)
def _defaults() -> LanguageSettings:
    """The default settings, made once (a settings object reads the environment: ~1 ms)."""
    return LanguageSettings()


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def identify(text: str) -> tuple[str, float]:
    """langid's language and normalised probability for the start of `text`."""
    lang, score = _identifier().classify(text[:SAMPLE_CHARS])
    return str(lang), float(score)


def not_arabic(
    text: str | None, cfg: LanguageSettings | None = None, counted: tuple[int, int] | None = None
) -> str | None:
    """Why `text` is not Arabic (a quarantine reason naming language and score), or None when it is
    or when there is nothing to judge (no letters: validation's length checks see to it). `counted`:
    the sample's letters and Arabic-script letters, if the stage counted them for its whole batch."""
    cfg = cfg or _defaults()
    sample = (text or "")[:SAMPLE_CHARS]
    letters = counted[0] if counted else sum(map(str.isalpha, sample))
    if not letters:
        return None
    script = counted[1] / letters if counted else arabic_ratio(sample)
    if script < cfg.min_arabic_script:
        lang, score = identify(sample)
        return f"not Arabic: language {lang} (score {score:.2f}); Arabic script {script:.0%} of letters"
    if len(_NON_ARABIC_LETTERS.findall(sample)) < cfg.doubt_share * letters:
        return None
    lang, score = identify(sample)
    if lang in ARABIC or score < cfg.min_score:
        return None
    return f"not Arabic: language {lang} (score {score:.2f}) in Arabic script"


def language_stage(batch: pa.Table, run_id: str, cfg: LanguageSettings | None = None) -> StageResult:
    """PAGE -> PAGE: records whose text is not Arabic leave for quarantine (stage "language")."""
    cfg = cfg or _defaults()
    if not cfg.enabled:
        return StageResult(batch)
    failed, reasons = [], []
    texts = batch["text"].to_pylist()
    # every sample's letters counted at once (tasks/arabic.py), not character by character
    letters, arabic = letter_counts([(t or "")[:SAMPLE_CHARS] for t in texts])
    for i, text in enumerate(texts):
        reason = not_arabic(text, cfg, (letters[i], arabic[i]))
        if reason:
            failed.append(i)
            reasons.append(reason)
    result = StageResult(
        drop_positions(batch, failed).select(PAGE.names),
        quarantined=quarantine_rows(batch, failed, reasons, run_id, "language"),
    )
    result.counts["not_arabic"] = len(failed)
    return result
