//! The lineage database's schema, as numbered migrations.
//!
//! Records are insert-only: triggers refuse every `UPDATE` and `DELETE`, so nothing
//! recorded is ever rewritten. State changes are new rows: a run is `runs` + (when it
//! ends) `run_ends`; an attempt is `attempts` + (when it ends) `attempt_ends`. A run or an
//! attempt without its end row is running, or was interrupted (its process is gone).
//!
//! To change the schema, append a migration; never edit one that has shipped.

/// Migration `n` (1-based) is `MIGRATIONS[n - 1]`.
pub const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    r#"
CREATE TABLE programs (
    hash TEXT PRIMARY KEY,              -- sha256 of the IR JSON
    ir   TEXT NOT NULL                  -- the IR JSON that ran
);

CREATE TABLE runs (
    id           INTEGER PRIMARY KEY,   -- the number users type: `mlforge show 3`
    uuid         TEXT NOT NULL UNIQUE,
    pipeline     TEXT NOT NULL,
    file         TEXT NOT NULL,         -- as given on the command line
    file_hash    TEXT NOT NULL,         -- sha256 of the .mlf file's bytes
    program_hash TEXT NOT NULL REFERENCES programs(hash),
    params       TEXT NOT NULL,         -- JSON object: name -> value ({"artifact": hash, ...} for artifacts)
    options      TEXT NOT NULL,         -- JSON object: jobs, no_cache, only, from
    resumed_from INTEGER REFERENCES runs(id),
    started_ms   INTEGER NOT NULL,      -- Unix time, milliseconds
    user         TEXT,
    host         TEXT,
    pid          INTEGER,
    git_commit   TEXT
);
CREATE INDEX runs_pipeline ON runs(pipeline);

CREATE TABLE run_ends (
    run_id   INTEGER PRIMARY KEY REFERENCES runs(id),
    ended_ms INTEGER NOT NULL,
    status   TEXT NOT NULL CHECK (status IN ('succeeded', 'failed', 'cancelled')),
    error    TEXT
);

CREATE TABLE artifacts (
    hash        TEXT PRIMARY KEY,       -- sha256; the object is artifacts/<hash[0..2]>/<hash>
    kind        TEXT NOT NULL CHECK (kind IN ('file', 'dir')),
    size        INTEGER NOT NULL,
    type        TEXT NOT NULL,          -- the declared kind when first recorded, e.g. Model
    name        TEXT,                   -- a file name hint (output name or original file name)
    produced_by INTEGER REFERENCES attempts(id),  -- the first attempt that wrote it; NULL when imported
    created_ms  INTEGER NOT NULL
);

CREATE TABLE run_inputs (              -- artifacts given as params (imported into the store)
    run_id        INTEGER NOT NULL REFERENCES runs(id),
    param         TEXT NOT NULL,
    position      TEXT NOT NULL DEFAULT '',  -- index path inside a list param
    artifact_hash TEXT NOT NULL REFERENCES artifacts(hash),
    source_path   TEXT NOT NULL,
    PRIMARY KEY (run_id, param, position)
);
CREATE INDEX run_inputs_artifact ON run_inputs(artifact_hash);

CREATE TABLE attempts (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES runs(id),
    step        TEXT NOT NULL,
    element     TEXT NOT NULL DEFAULT '',  -- index path in `for` blocks: '' | '2' | '1.0'
    attempt     INTEGER NOT NULL,          -- 1, 2, ... for executions; 0 for cached and skipped
    op          TEXT NOT NULL,
    started_ms  INTEGER NOT NULL,
    cache_key   TEXT,                      -- NULL when the step never had its inputs (skipped)
    op_hash     TEXT,
    code_hash   TEXT,
    env_hash    TEXT,
    scalars     TEXT,                      -- JSON object: scalar input -> value
    inputs      TEXT,                      -- JSON object: artifact input -> hash (or nested lists)
    environment TEXT,                      -- JSON object: interpreter program, image, env
    cached_from INTEGER REFERENCES attempts(id),
    log_path    TEXT,
    UNIQUE (run_id, step, element, attempt)
);
CREATE INDEX attempts_cache_key ON attempts(cache_key);
CREATE INDEX attempts_step ON attempts(step, element);

CREATE TABLE attempt_ends (
    attempt_id INTEGER PRIMARY KEY REFERENCES attempts(id),
    ended_ms   INTEGER NOT NULL,
    status     TEXT NOT NULL CHECK (status IN
                   ('succeeded', 'cached', 'failed', 'timed_out', 'skipped', 'cancelled')),
    exit_code  INTEGER,
    error      TEXT
);

CREATE TABLE outputs (
    attempt_id    INTEGER NOT NULL REFERENCES attempts(id),
    name          TEXT NOT NULL,
    value         TEXT NOT NULL,           -- JSON: the scalar, or {"artifact": hash}
    artifact_hash TEXT REFERENCES artifacts(hash),
    PRIMARY KEY (attempt_id, name)
);
CREATE INDEX outputs_artifact ON outputs(artifact_hash);

CREATE TABLE consumed (                  -- which attempt read which artifact
    attempt_id    INTEGER NOT NULL REFERENCES attempts(id),
    input         TEXT NOT NULL,
    position      TEXT NOT NULL DEFAULT '',  -- index path inside a list input
    artifact_hash TEXT NOT NULL REFERENCES artifacts(hash),
    PRIMARY KEY (attempt_id, input, position)
);
CREATE INDEX consumed_artifact ON consumed(artifact_hash);

CREATE TABLE metrics (
    attempt_id INTEGER NOT NULL REFERENCES attempts(id),
    output     TEXT NOT NULL,              -- the Metrics output they came from
    name       TEXT NOT NULL,
    value      REAL NOT NULL,
    PRIMARY KEY (attempt_id, output, name)
);

CREATE TRIGGER programs_immutable_u BEFORE UPDATE ON programs BEGIN SELECT RAISE(ABORT, 'lineage records are immutable'); END;
CREATE TRIGGER programs_immutable_d BEFORE DELETE ON programs BEGIN SELECT RAISE(ABORT, 'lineage records are immutable'); END;
CREATE TRIGGER runs_immutable_u BEFORE UPDATE ON runs BEGIN SELECT RAISE(ABORT, 'lineage records are immutable'); END;
CREATE TRIGGER runs_immutable_d BEFORE DELETE ON runs BEGIN SELECT RAISE(ABORT, 'lineage records are immutable'); END;
CREATE TRIGGER run_ends_immutable_u BEFORE UPDATE ON run_ends BEGIN SELECT RAISE(ABORT, 'lineage records are immutable'); END;
CREATE TRIGGER run_ends_immutable_d BEFORE DELETE ON run_ends BEGIN SELECT RAISE(ABORT, 'lineage records are immutable'); END;
CREATE TRIGGER artifacts_immutable_u BEFORE UPDATE ON artifacts BEGIN SELECT RAISE(ABORT, 'lineage records are immutable'); END;
CREATE TRIGGER artifacts_immutable_d BEFORE DELETE ON artifacts BEGIN SELECT RAISE(ABORT, 'lineage records are immutable'); END;
CREATE TRIGGER run_inputs_immutable_u BEFORE UPDATE ON run_inputs BEGIN SELECT RAISE(ABORT, 'lineage records are immutable'); END;
CREATE TRIGGER run_inputs_immutable_d BEFORE DELETE ON run_inputs BEGIN SELECT RAISE(ABORT, 'lineage records are immutable'); END;
CREATE TRIGGER attempts_immutable_u BEFORE UPDATE ON attempts BEGIN SELECT RAISE(ABORT, 'lineage records are immutable'); END;
CREATE TRIGGER attempts_immutable_d BEFORE DELETE ON attempts BEGIN SELECT RAISE(ABORT, 'lineage records are immutable'); END;
CREATE TRIGGER attempt_ends_immutable_u BEFORE UPDATE ON attempt_ends BEGIN SELECT RAISE(ABORT, 'lineage records are immutable'); END;
CREATE TRIGGER attempt_ends_immutable_d BEFORE DELETE ON attempt_ends BEGIN SELECT RAISE(ABORT, 'lineage records are immutable'); END;
CREATE TRIGGER outputs_immutable_u BEFORE UPDATE ON outputs BEGIN SELECT RAISE(ABORT, 'lineage records are immutable'); END;
CREATE TRIGGER outputs_immutable_d BEFORE DELETE ON outputs BEGIN SELECT RAISE(ABORT, 'lineage records are immutable'); END;
CREATE TRIGGER consumed_immutable_u BEFORE UPDATE ON consumed BEGIN SELECT RAISE(ABORT, 'lineage records are immutable'); END;
CREATE TRIGGER consumed_immutable_d BEFORE DELETE ON consumed BEGIN SELECT RAISE(ABORT, 'lineage records are immutable'); END;
CREATE TRIGGER metrics_immutable_u BEFORE UPDATE ON metrics BEGIN SELECT RAISE(ABORT, 'lineage records are immutable'); END;
CREATE TRIGGER metrics_immutable_d BEFORE DELETE ON metrics BEGIN SELECT RAISE(ABORT, 'lineage records are immutable'); END;
"#,
    // 2: covering indexes for lineage walks (`mlforge lineage`): each hop reads an index
    // alone, not the index and then the table.
    r#"
CREATE INDEX consumed_by_artifact ON consumed(artifact_hash, attempt_id, input, position);
DROP INDEX consumed_artifact;                -- a prefix of consumed_by_artifact
CREATE INDEX outputs_by_attempt ON outputs(attempt_id, artifact_hash, name);
"#,
    // 3: provenance follows steps, not only bytes: which attempt (of the same run; a cached
    // step's own record) and which of its outputs each consumed artifact came from. The
    // same bytes written by two steps are two generations. NULL for param files and for
    // records made before this migration.
    r#"
ALTER TABLE consumed ADD COLUMN from_attempt INTEGER REFERENCES attempts(id);
ALTER TABLE consumed ADD COLUMN from_output TEXT;
"#,
];
