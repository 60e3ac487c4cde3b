-- Shared DuckDB macros.  Executed as-is with con.execute(sql_text);
-- built-in functions only (no extensions).

-- ar_normalize(t): SQL mirror of tasks.arabic.normalize_search for short
-- query terms, so  WHERE search_text LIKE '%' || ar_normalize(?) || '%'
-- matches text stored with normalize_search().  Arabic presentation forms
-- (U+FB50-FDFF, U+FE70-FEFF) are NOT handled here.  NULL in -> NULL out.
--
-- Steps (innermost first):
--  0. a tatweel run with no Arabic letter or mark before it is a dash
--     (normalize_display writes "-"): a space here, as the dash is in step 4.
--  1. delete: tatweel U+0640, soft hyphen U+00AD, U+180E, zero-width
--     U+200B-200D, U+2060, BOM U+FEFF, bidi controls U+200E/200F, U+061C,
--     U+202A-202E, U+2066-2069, C0/C1 controls (not tab/newlines/U+001C-1F/
--     U+0085), and diacritics U+0610-061A, U+064B-065F, U+0670, U+06D6-06ED.
--  2. translate, position by position (from -> to):
--       أ إ آ ٱ ٲ ٳ  (U+0623 0625 0622 0671 0672 0673) -> ا
--       ى ئ ی ې      (U+0649 0626 06CC 06D0)           -> ي
--       ؤ            (U+0624)                          -> و
--       ة ۀ ۃ ە ہ    (U+0629 06C0 06C3 06D5 06C1)      -> ه
--       ک ڪ          (U+06A9 06AA)                     -> ك
--       ٠-٩ (U+0660-0669), ۰-۹ (U+06F0-06F9)           -> 0-9
--  3. lower() -- per-character simple case mapping (Σ -> σ, İ -> i); the
--     Python side deliberately does the same instead of str.lower()
--  4. every run of non letters / marks / numbers (punctuation, symbols,
--     whitespace incl. NBSP and newlines) -> one space;  5. trim.
CREATE OR REPLACE MACRO ar_normalize(t) AS
    trim(
        regexp_replace(
            lower(
                translate(
                    regexp_replace(
                        regexp_replace(
                            t,
                            '(^|[^\x{0610}-\x{061A}\x{0620}-\x{065F}\x{066E}-\x{06D3}\x{06D5}-\x{06ED}\x{06FA}-\x{06FF}\x{0750}-\x{077F}\x{08A0}-\x{08FF}\x{FB50}-\x{FDFF}\x{FE70}-\x{FEFC}\x{0640}])\x{0640}+',
                            '\1 ',
                            'g'
                        ),
                        '[\x{0640}\x{00AD}\x{180E}\x{200B}-\x{200F}\x{2060}\x{FEFF}\x{061C}\x{202A}-\x{202E}\x{2066}-\x{2069}\x{0000}-\x{0008}\x{000E}-\x{001B}\x{007F}-\x{0084}\x{0086}-\x{009F}\x{0610}-\x{061A}\x{064B}-\x{065F}\x{0670}\x{06D6}-\x{06ED}]',
                        '',
                        'g'
                    ),
                    'أإآٱٲٳىئیېؤةۀۃەہکڪ٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹',
                    'ااااااييييوهههههكك01234567890123456789'
                )
            ),
            '[^\pL\pM\pN]+',
            ' ',
            'g'
        )
    );
