-- Views over the Parquet lake. `{lake}` is replaced by the lake's absolute path when the views are
-- (re)built after each publish, so they work from any working directory.
CREATE OR REPLACE VIEW articles AS
    SELECT * FROM read_parquet('{lake}/articles/*.parquet', union_by_name = true);

CREATE OR REPLACE VIEW boilerplate AS
    SELECT * FROM read_parquet('{lake}/boilerplate/*.parquet', union_by_name = true);

CREATE OR REPLACE VIEW duplicates AS
    SELECT * FROM read_parquet('{lake}/duplicates/*.parquet', union_by_name = true);

CREATE OR REPLACE VIEW quarantine AS
    SELECT * FROM read_parquet('{lake}/quarantine/*.parquet', union_by_name = true);

CREATE OR REPLACE VIEW runs AS
    SELECT * FROM read_parquet('{lake}/runs/*.parquet', union_by_name = true);

CREATE OR REPLACE VIEW validation_results AS
    SELECT * FROM read_parquet('{lake}/validation_results/*.parquet', union_by_name = true);

CREATE OR REPLACE VIEW signatures AS
    SELECT * FROM read_parquet('{lake}/signatures/*.parquet', union_by_name = true);
