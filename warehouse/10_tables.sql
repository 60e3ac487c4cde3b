-- Views over the Parquet lake. `{lake}` is replaced by the lake's absolute path when the views are
-- (re)built after each publish, so they work from any working directory.
--
-- A run's files become visible only once its `runs` row exists: publish writes that row last, so
-- the files of a run that crashed mid-publish are never read (and the next run deletes them).
-- Every other view reads only rows of runs in `runs`, so `{as_of}` (empty, or a bound on run_id
-- for time travel: tasks/publish.py connect_as_of) bounds them all.

CREATE OR REPLACE VIEW runs AS
    SELECT * FROM read_parquet('{lake}/runs/*.parquet', union_by_name = true) {as_of};

-- Run ids sort by time (YYYYMMDDTHHMMSSZ-...), so the latest change per cluster is its max run_id.
CREATE OR REPLACE VIEW canonical_changes AS
    SELECT * FROM read_parquet('{lake}/canonical_changes/*.parquet', union_by_name = true) WHERE run_id IN (SELECT run_id FROM runs);

-- Articles as published, with is_canonical following the latest canonical change of their cluster.
CREATE OR REPLACE VIEW articles AS
    WITH published AS (
        SELECT * FROM read_parquet('{lake}/articles/*.parquet', union_by_name = true) WHERE run_id IN (SELECT run_id FROM runs)
    ),
    latest_change AS (
        SELECT cluster_id, arg_max(new_canonical_id, run_id) AS canonical_id
        FROM canonical_changes GROUP BY cluster_id
    )
    SELECT published.* REPLACE (
               CASE WHEN latest_change.cluster_id IS NULL THEN published.is_canonical
                    ELSE published.article_id = latest_change.canonical_id END AS is_canonical)
    FROM published LEFT JOIN latest_change USING (cluster_id);

CREATE OR REPLACE VIEW boilerplate AS
    SELECT * FROM read_parquet('{lake}/boilerplate/*.parquet', union_by_name = true) WHERE run_id IN (SELECT run_id FROM runs);

-- Copies, pointing at their story's current canonical.
CREATE OR REPLACE VIEW duplicates AS
    WITH recorded AS (
        SELECT * FROM read_parquet('{lake}/duplicates/*.parquet', union_by_name = true) WHERE run_id IN (SELECT run_id FROM runs)
    ),
    current_canonical AS (
        SELECT article_id AS canonical_id, cluster_id FROM articles WHERE is_canonical
    ),
    latest AS (  -- a copy recorded twice (demoted canonical) keeps its latest row
        SELECT * FROM recorded QUALIFY row_number() OVER (PARTITION BY article_id ORDER BY run_id DESC) = 1
    )
    SELECT latest.article_id, coalesce(cc.canonical_id, latest.canonical_id) AS canonical_id,
           latest.similarity, latest.method, latest.run_id
    FROM latest
    JOIN articles a USING (article_id)
    LEFT JOIN current_canonical cc ON cc.cluster_id = a.cluster_id
    WHERE NOT a.is_canonical;

CREATE OR REPLACE VIEW quarantine AS
    SELECT * FROM read_parquet('{lake}/quarantine/*.parquet', union_by_name = true) WHERE run_id IN (SELECT run_id FROM runs);

CREATE OR REPLACE VIEW validation_results AS
    SELECT * FROM read_parquet('{lake}/validation_results/*.parquet', union_by_name = true) WHERE run_id IN (SELECT run_id FROM runs);

CREATE OR REPLACE VIEW signatures AS
    SELECT * FROM read_parquet('{lake}/signatures/*.parquet', union_by_name = true) WHERE run_id IN (SELECT run_id FROM runs);

CREATE OR REPLACE VIEW manifest AS
    SELECT * FROM read_parquet('{lake}/manifest/*.parquet', union_by_name = true) WHERE run_id IN (SELECT run_id FROM runs);

-- Body lines of published stories (hashes only), counted by learned boilerplate on later nights.
CREATE OR REPLACE VIEW lines AS
    SELECT * FROM read_parquet('{lake}/lines/*.parquet', union_by_name = true) WHERE run_id IN (SELECT run_id FROM runs);

-- Input paths a run did not read, with the reason (every path is read or listed here).
CREATE OR REPLACE VIEW skipped AS
    SELECT * FROM read_parquet('{lake}/skipped/*.parquet', union_by_name = true) WHERE run_id IN (SELECT run_id FROM runs);

-- Hashed prefixes and labels of published stories' edge lines (learned line templates, tasks/templates.py).
CREATE OR REPLACE VIEW edges AS
    SELECT * FROM read_parquet('{lake}/edges/*.parquet', union_by_name = true) WHERE run_id IN (SELECT run_id FROM runs);

-- Which story each article reports (copies and cross-outlet rewrites of one event): the story level.
CREATE OR REPLACE VIEW stories AS
    SELECT * FROM read_parquet('{lake}/stories/*.parquet', union_by_name = true) WHERE run_id IN (SELECT run_id FROM runs);
