-- Marts for analysts, built on the table views.

-- One row per story: the canonical article of each cluster.
CREATE OR REPLACE VIEW articles_unique AS
    WITH canonical AS (SELECT * FROM articles WHERE is_canonical)
    SELECT * FROM canonical;

-- Articles per outlet, with how many are canonical and how many are copies.
CREATE OR REPLACE VIEW outlet_summary AS
    WITH per_outlet AS (
        SELECT outlet,
               count(*)                                   AS articles,
               count(*) FILTER (WHERE is_canonical)       AS unique_stories,
               count(*) FILTER (WHERE NOT is_canonical)   AS duplicates,
               min(published_at)                          AS first_published,
               max(published_at)                          AS last_published
        FROM articles
        GROUP BY outlet
    )
    SELECT * FROM per_outlet ORDER BY articles DESC, outlet;

-- What cleaning removed, per category.
CREATE OR REPLACE VIEW boilerplate_summary AS
    WITH per_category AS (
        SELECT category, count(*) AS spans, count(DISTINCT article_id) AS articles, sum(length(text)) AS characters
        FROM boilerplate
        GROUP BY category
    )
    SELECT * FROM per_category ORDER BY spans DESC, category;

-- Where every input record went: the accounting a run must balance.
CREATE OR REPLACE VIEW record_accounting AS
    WITH outcomes AS (
        SELECT 'article (canonical)' AS outcome, count(*) AS records FROM articles WHERE is_canonical
        UNION ALL
        SELECT 'duplicate (' || method || ')', count(*) FROM duplicates GROUP BY method
        UNION ALL
        SELECT 'quarantine (' || stage || ')', count(*) FROM quarantine GROUP BY stage
    )
    SELECT * FROM outcomes ORDER BY outcome;

-- Learned boilerplate (tasks/learned.py): each line an outlet repeats that akhbar removed, how many
-- published articles it was removed from and over which dates; `rank` 1 is the outlet's most
-- removed line. Top five per outlet: SELECT * FROM learned_lines WHERE rank <= 5.
CREATE OR REPLACE VIEW learned_lines AS
    WITH per_line AS (
        SELECT a.outlet, b.rule, b.category, b.text,
               count(DISTINCT b.article_id) AS articles,
               min(a.published_at)          AS first_published,
               max(a.published_at)          AS last_published
        FROM boilerplate b JOIN articles a USING (article_id)
        WHERE b.rule LIKE 'learned.%'
        GROUP BY ALL
    )
    SELECT row_number() OVER (PARTITION BY outlet ORDER BY articles DESC, text) AS rank, *
    FROM per_line ORDER BY outlet, rank;

-- One row per story (the story level: copies and rewrites of one event across outlets), with how
-- many articles and distinct texts (copy clusters) report it, from which outlets, and when.
CREATE OR REPLACE VIEW story_summary AS
    WITH members AS (
        SELECT s.story_id, a.article_id, a.outlet, a.cluster_id, a.title, a.published_at, a.is_canonical
        FROM stories s JOIN articles a USING (article_id)
    )
    SELECT story_id,
           count(*)                              AS articles,
           count(DISTINCT cluster_id)            AS texts,
           count(DISTINCT outlet)                AS outlets,
           min(published_at)                     AS first_published,
           arg_min(title, published_at)          AS first_title,
           list(DISTINCT outlet ORDER BY outlet) AS outlet_list
    FROM members
    GROUP BY story_id
    ORDER BY articles DESC, story_id;
