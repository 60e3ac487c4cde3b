"""Decoding bytes akhbar has never seen: legacy Arabic code pages, mojibake, text lost at the source."""

from __future__ import annotations

import json
import random

import pytest
from akhbar.tasks.decode import (
    Decoded,
    DecodeError,
    arabic_share,
    decode_bytes,
    definite_share,
    lost_reason,
    lost_share,
    repair_mojibake,
)
from charset_normalizer import from_bytes

RLM = "\u200f"
# CP720 has no Arabic comma: the sentence has none.
HOSPITAL = (
    "أعلنت وزارة الصحة افتتاح مستشفى جديد في المدينة يضم مئتي سرير وقسما للطوارئ "
    "وقال الوزير إن العمل فيه يبدأ الشهر المقبل."
)
# Arabic-Indic digits are in MacArabic and not in ISO-8859-6, so only MacArabic decodes it strictly.
HOSPITAL_COST = HOSPITAL + " وبلغت التكلفة ٣٥ مليون جنيه."

# Written in the habit of an Egyptian daily's print edition: RLM marks around digits and punctuation.
# charset-normalizer 3.5 gives up on the first and third in windows-1256 and reads the second as Cyrillic ...
FIRE = (
    f"حريق في مخزن للأخشاب بالمنطقة الصناعية{RLM}..{RLM} ولا إصابات\nكتب ـ سامي عبد الحميد\n"
    f"اندلع حريق هائل صباح أمس في مخزن للأخشاب بالمنطقة الصناعية{RLM},{RLM} وانتقلت إليه{RLM}7{RLM} "
    f"سيارات إطفاء{RLM}.{RLM} وقال شهود إن النيران امتدت إلى مخزنين مجاورين قبل السيطرة عليها{RLM}.{RLM}"
)
SCHOOLS = (
    f"رأي\nالمدارس قبل الامتحانات\nيشكو أولياء الأمور من زحام الفصول{RLM}..!{RLM} والمعلمون من قلة "
    f"الوسائل{RLM},{RLM} والوزارة تعد بحلول قريبة{RLM}.{RLM}"
)
MATCH = (
    f"مباراة الغد{RLM}:{RLM} المدرب يعلن التشكيل\nأعلن مدرب الفريق الأول تشكيلته لمباراة الغد "
    f"أمام{RLM}3{RLM} آلاف مشجع{RLM}.{RLM}"
)
# ... and this one as Greek (mac_greek): the file the issue saw published as Greek.
REMAND = f"وأمرت النيابة بحبسه{RLM}4{RLM} أيام على ذمة التحقيق{RLM}.{RLM}"


@pytest.mark.parametrize(
    "page,text", [("cp1256", HOSPITAL), ("iso8859_6", HOSPITAL), ("cp720", HOSPITAL), ("mac_arabic", HOSPITAL_COST)]
)
def test_each_legacy_page_round_trips(page, text):
    d = decode_bytes(text.encode(page))
    assert (d.text, d.encoding) == (text, page)
    assert d.how in {"charset-normalizer", "legacy-fallback"}


def test_utf8_and_bom():
    assert decode_bytes(HOSPITAL.encode("utf-8")) == Decoded(HOSPITAL, "utf-8", "utf-8")
    assert decode_bytes(("\ufeff" + HOSPITAL).encode("utf-8")) == Decoded(HOSPITAL, "utf-8", "utf-8")
    assert decode_bytes(b"") == Decoded("", "utf-8", "utf-8")
    d = decode_bytes(("\ufeff" + HOSPITAL).encode("utf-16-le"))  # a UTF-16 file announces itself by its BOM
    assert d.text == HOSPITAL and d.how == "charset-normalizer"


@pytest.mark.parametrize("text,cn_reads_as", [(FIRE, None), (SCHOOLS, "cp1251"), (MATCH, None), (REMAND, "mac_greek")])
def test_windows_1256_that_charset_normalizer_misreads(text, cn_reads_as):
    data = text.encode("cp1256")
    best = from_bytes(data).best()
    assert (best.encoding if best else None) == cn_reads_as  # the case: gives up, or reads Cyrillic or Greek
    assert decode_bytes(data) == Decoded(text, "cp1256", "legacy-fallback")


def test_scores_tell_the_right_page_from_a_wrong_one():
    data = FIRE.encode("cp1256")
    assert arabic_share(data.decode("cp1256")) == 1.0
    assert arabic_share(data.decode("cp1251")) == 0.0  # charset-normalizer's Cyrillic reading
    assert arabic_share(data.decode("cp720")) < 0.5  # box drawing where the letters were
    # MacArabic reads windows-1256 bytes as Arabic letters too, but other ones: the article 'ال' is gone
    assert definite_share(data.decode("cp1256")) == pytest.approx(9 / 38)  # للأخشاب بالمنطقة الصناعية ...
    assert definite_share(data.decode("mac_arabic")) == pytest.approx(1 / 38)


def test_mojibake_from_latin1_is_repaired_by_ftfy():
    mangled = HOSPITAL.encode("utf-8").decode("latin-1")  # 'Ø£Ù\x84...' saved again as UTF-8
    assert decode_bytes(mangled.encode("utf-8")) == Decoded(HOSPITAL, "utf-8", "utf-8+ftfy")
    no_fa = "قال المتحدث إن الوزير سيزور المدينة غدا."  # cp1252 lacks the bytes of 'ف' and harakat
    mangled = no_fa.encode("utf-8").decode("cp1252")  # 'Ù‚Ø§Ù„ ...'
    assert mangled.startswith("Ù‚Ø§Ù„")
    assert decode_bytes(mangled.encode("utf-8")) == Decoded(no_fa, "utf-8", "utf-8+ftfy")


def test_mojibake_from_windows_1256_is_repaired():
    mangled = HOSPITAL.encode("utf-8").decode("cp1256")  # 'ط£ط¹ظ„ظ†طھ ...'
    assert mangled.startswith("ط£ط¹ظ„ظ†طھ")
    assert decode_bytes(mangled.encode("utf-8")) == Decoded(HOSPITAL, "utf-8", "utf-8+mojibake(cp1256)")
    # and when that mojibake was itself saved in windows-1256
    assert decode_bytes(mangled.encode("cp1256")).text == HOSPITAL


def test_mojibake_behind_json_escapes_is_repaired_on_the_record():
    mangled = HOSPITAL.encode("utf-8").decode("latin-1")
    line = json.dumps({"text": mangled}).encode("ascii")  # every character escaped: the bytes look clean
    assert decode_bytes(line).how == "utf-8"
    assert repair_mojibake(json.loads(line)["text"]) == (HOSPITAL, "+ftfy")


def test_real_arabic_is_never_taken_for_mojibake():
    text = "ارتفع سعر برميل النفط» إلى مستوى قياسي «الطاقة» و«النفط» و«الغاز» ثم هبط"
    assert decode_bytes(text.encode("utf-8")) == Decoded(text, "utf-8", "utf-8")


def test_text_lost_at_the_source_is_refused_with_its_share():
    with pytest.raises(DecodeError, match=r"^text lost at the source: 100% of its letters are '\?' or U\+FFFD$"):
        decode_bytes("???? ?????? ?? ????? 2013\n?????? ??????? ?? ??????".encode("ascii"))
    # Latin letters survive the code page that lost the Arabic: 3 letters kept, 12 lost
    assert lost_share("CNN: ???? ?????? ??") == pytest.approx(12 / 15)
    with pytest.raises(DecodeError, match="text lost at the source: 80% of its letters"):
        decode_bytes("CNN: ???? ?????? ??".encode("cp1256"))
    with pytest.raises(DecodeError, match="text lost at the source: 100%"):
        decode_bytes("\ufffd\ufffd\ufffd\ufffd \ufffd\ufffd\ufffd".encode("utf-8"))


def test_question_marks_in_real_text_are_not_loss():
    english = "Why now? Who decided? Nobody knows??\nThe minister (who?) said \"later?\" and left."
    assert lost_share(english) == 0.0
    assert decode_bytes(english.encode("utf-8")).text == english
    arabic = "هل انتهت الأزمة? لا أحد يعرف? الوزير قال: ربما."
    assert lost_share(arabic) == 0.0
    assert decode_bytes(arabic.encode("cp1256")).text == arabic
    # a few unknown characters in a long text are not a lost text
    assert lost_share(HOSPITAL + " ??? " + HOSPITAL) < 0.05


def test_lost_check_can_be_left_to_the_record():
    line = b'{"title": "???? ??????", "text": "?????? ??????? ?? ??????"}'
    assert decode_bytes(line, check_lost=False).text == line.decode()
    assert lost_share("?????? ??????? ?? ??????") == 1.0
    assert lost_reason("?????? ??????? ?? ??????") == "text lost at the source: 100% of its letters are '?' or U+FFFD"
    assert lost_reason(HOSPITAL) is None and lost_reason("??") is None


def test_random_bytes_raise_decode_error_and_nothing_else():
    rng = random.Random(11)
    for _ in range(30):
        with pytest.raises(DecodeError):
            decode_bytes(rng.randbytes(2000))
    for n in range(1, 200):  # short inputs may read as a word; they never raise anything else
        try:
            assert isinstance(decode_bytes(rng.randbytes(n)), Decoded)
        except DecodeError as exc:
            assert str(exc)


def test_binary_data_in_valid_utf8_is_not_text():
    with pytest.raises(DecodeError, match="not text: 50% of its characters are control characters"):
        decode_bytes(HOSPITAL.encode("utf-16-le")[:200])  # UTF-16 without BOM: every other byte 0x06


def test_html_in_windows_1256_with_and_without_a_declaration():
    body = "".join(f"<p class=\"article-paragraph\">{line}</p>\n" for line in SCHOOLS.split("\n"))
    bare = f"<html><head><title>رأي</title></head><body><div id=\"main-content\">{body}</div></body></html>"
    declared = bare.replace(
        "<head>", '<head><meta http-equiv="Content-Type" content="text/html; charset=windows-1256">'
    )
    assert decode_bytes(declared.encode("cp1256")) == Decoded(declared, "cp1256", "declared")
    # without one, the markup's Latin letters do not drown the Arabic when the pages are scored
    assert decode_bytes(bare.encode("cp1256")) == Decoded(bare, "cp1256", "legacy-fallback")
    # a wrong declaration is only a candidate: the page is windows-1256, the server said latin-1
    wrong = declared.replace("windows-1256", "iso-8859-1")
    assert decode_bytes(wrong.encode("cp1256")) == Decoded(wrong, "cp1256", "legacy-fallback")


def test_latin_text_in_a_latin_code_page_is_left_to_charset_normalizer():
    text = (
        "Le conseil municipal a voté mercredi le budget de l'année prochaine. Les élus ont approuvé "
        "la rénovation du théâtre et la création d'une piste cyclable le long du fleuve."
    )
    d = decode_bytes(text.encode("cp1252"))
    assert d.how == "charset-normalizer" and "théâtre" in d.text and "élus" in d.text
