//! The lineage database: SQLite (WAL), insert-only records of runs, step attempts,
//! artifacts, the artifacts each attempt read and wrote, and metrics.
//!
//! Writes go through [`Lineage::write`], one transaction per call, so a process killed at
//! any moment leaves either all of a state change or none of it. Reads are the query
//! methods below; tools that need more can run their own SQL on [`Lineage::connection`]
//! (the schema is documented in `schema.rs`).

use std::fmt;
use std::path::Path;
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};
use serde::Serialize;

use crate::artifacts::{process_alive, ArtifactKind};
use crate::element::Element;
use crate::schema::MIGRATIONS;

/// A store error: the database's, or a file's.
#[derive(Debug)]
pub enum StoreError {
    Sql(rusqlite::Error),
    Io(std::io::Error),
    /// The database was written by a newer mlforge.
    TooNew {
        found: i64,
        known: i64,
    },
    /// The database needs a migration, which a read-only opening cannot make.
    TooOld {
        found: i64,
        known: i64,
    },
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Sql(e) => write!(f, "lineage database: {e}"),
            StoreError::Io(e) => write!(f, "{e}"),
            StoreError::TooNew { found, known } => write!(
                f,
                "the lineage database has schema version {found}, but this mlforge knows \
                 versions up to {known}; upgrade mlforge"
            ),
            StoreError::TooOld { found, known } => write!(
                f,
                "the lineage database has schema version {found} and this mlforge needs \
                 {known}; run a pipeline once (any `mlforge run` upgrades it) and read it again"
            ),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Sql(e)
    }
}

impl From<std::io::Error> for StoreError {
    fn from(e: std::io::Error) -> Self {
        StoreError::Io(e)
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// This machine's host name.
pub fn host_name() -> Option<String> {
    nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
}

/// How a run stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// No end recorded and its process still runs.
    Running,
    Succeeded,
    Failed,
    Cancelled,
    /// No end recorded and its process is gone (killed, crashed).
    Interrupted,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
            RunStatus::Interrupted => "interrupted",
        }
    }

    pub fn parse(text: &str) -> Option<RunStatus> {
        Some(match text {
            "running" => RunStatus::Running,
            "succeeded" => RunStatus::Succeeded,
            "failed" => RunStatus::Failed,
            "cancelled" => RunStatus::Cancelled,
            "interrupted" => RunStatus::Interrupted,
            _ => return None,
        })
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How an attempt of a step stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptStatus {
    Running,
    Succeeded,
    /// Its results came from an earlier attempt with the same cache key (or, with
    /// `--resume`/`--only`/`--from`, from an earlier run).
    Cached,
    Failed,
    TimedOut,
    /// In the branch of an `if` not taken.
    Skipped,
    Cancelled,
    /// No end recorded and the run's process is gone.
    Interrupted,
}

impl AttemptStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptStatus::Running => "running",
            AttemptStatus::Succeeded => "succeeded",
            AttemptStatus::Cached => "cached",
            AttemptStatus::Failed => "failed",
            AttemptStatus::TimedOut => "timed_out",
            AttemptStatus::Skipped => "skipped",
            AttemptStatus::Cancelled => "cancelled",
            AttemptStatus::Interrupted => "interrupted",
        }
    }

    pub fn parse(text: &str) -> Option<AttemptStatus> {
        Some(match text {
            "running" => AttemptStatus::Running,
            "succeeded" => AttemptStatus::Succeeded,
            "cached" => AttemptStatus::Cached,
            "failed" => AttemptStatus::Failed,
            "timed_out" => AttemptStatus::TimedOut,
            "skipped" => AttemptStatus::Skipped,
            "cancelled" => AttemptStatus::Cancelled,
            "interrupted" => AttemptStatus::Interrupted,
            _ => return None,
        })
    }

    /// Succeeded or cached: its outputs exist.
    pub fn has_outputs(self) -> bool {
        matches!(self, AttemptStatus::Succeeded | AttemptStatus::Cached)
    }
}

impl fmt::Display for AttemptStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A run as it starts.
#[derive(Clone, Debug)]
pub struct NewRun<'a> {
    pub uuid: &'a str,
    pub pipeline: &'a str,
    pub file: &'a str,
    pub file_hash: &'a str,
    pub program_hash: &'a str,
    pub program_json: &'a str,
    pub params: &'a serde_json::Value,
    pub options: &'a serde_json::Value,
    pub resumed_from: Option<i64>,
    pub started_ms: i64,
    pub user: Option<&'a str>,
    pub host: Option<&'a str>,
    pub pid: Option<i64>,
    pub git_commit: Option<&'a str>,
}

/// The parts of a step attempt's cache key, kept so that a later run (or `plan`) can say
/// which part changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeyParts {
    /// sha256 over everything below.
    pub cache_key: String,
    /// The IR op hash.
    pub op_hash: String,
    /// sha256 of the code alone: interpreter, body, signature.
    pub code_hash: String,
    /// sha256 of `environment`.
    pub env_hash: String,
    /// JSON object: scalar input → value.
    pub scalars: String,
    /// JSON object: artifact input → hash (lists nested).
    pub inputs: String,
    /// JSON object: the interpreter program, image, env.
    pub environment: String,
}

/// An attempt as it starts (or, for cached and skipped steps, as it is recorded whole).
#[derive(Clone, Debug)]
pub struct NewAttempt<'a> {
    pub run_id: i64,
    pub step: &'a str,
    pub element: &'a Element,
    pub attempt: u32,
    pub op: &'a str,
    pub started_ms: i64,
    pub key: Option<&'a KeyParts>,
    pub cached_from: Option<i64>,
    pub log_path: Option<&'a str>,
}

/// An artifact as first recorded.
#[derive(Clone, Debug)]
pub struct NewArtifact<'a> {
    pub hash: &'a str,
    pub kind: ArtifactKind,
    pub size: u64,
    pub type_name: &'a str,
    pub name: Option<&'a str>,
    pub produced_by: Option<i64>,
}

/// Writes inside one transaction (see [`Lineage::write`]).
pub struct Writer<'c> {
    tx: &'c Connection,
}

impl Writer<'_> {
    /// Records a run's start; returns its id.
    pub fn begin_run(&self, run: &NewRun<'_>) -> Result<i64> {
        self.tx
            .prepare_cached("INSERT OR IGNORE INTO programs (hash, ir) VALUES (?1, ?2)")?
            .execute(params![run.program_hash, run.program_json])?;
        self.tx.prepare_cached(
            "INSERT INTO runs (uuid, pipeline, file, file_hash, program_hash, params, options, \
             resumed_from, started_ms, user, host, pid, git_commit) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)")?
            .execute(
            params![
                run.uuid,
                run.pipeline,
                run.file,
                run.file_hash,
                run.program_hash,
                run.params.to_string(),
                run.options.to_string(),
                run.resumed_from,
                run.started_ms,
                run.user,
                run.host,
                run.pid,
                run.git_commit,
            ],
        )?;
        Ok(self.tx.last_insert_rowid())
    }

    /// Records a run's end. A run ends once: a second end is refused.
    pub fn end_run(&self, run_id: i64, status: RunStatus, error: Option<&str>) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO run_ends (run_id, ended_ms, status, error) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![run_id, now_ms(), status.as_str(), error])?;
        Ok(())
    }

    /// Records an artifact the first time it is seen (later calls change nothing).
    pub fn add_artifact(&self, artifact: &NewArtifact<'_>) -> Result<()> {
        self.tx.prepare_cached(
            "INSERT OR IGNORE INTO artifacts (hash, kind, size, type, name, produced_by, created_ms) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")?
            .execute(
            params![
                artifact.hash,
                artifact.kind.as_str(),
                artifact.size as i64,
                artifact.type_name,
                artifact.name,
                artifact.produced_by,
                now_ms()
            ],
        )?;
        Ok(())
    }

    /// Records an artifact given as a run's param.
    pub fn add_run_input(
        &self,
        run_id: i64,
        param: &str,
        position: &str,
        hash: &str,
        source_path: &str,
    ) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO run_inputs (run_id, param, position, artifact_hash, source_path) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![run_id, param, position, hash, source_path])?;
        Ok(())
    }

    /// Records an attempt's start; returns its id.
    pub fn start_attempt(&self, attempt: &NewAttempt<'_>) -> Result<i64> {
        let key = attempt.key;
        self.tx
            .prepare_cached(
                "INSERT INTO attempts (run_id, step, element, attempt, op, started_ms, cache_key, \
             op_hash, code_hash, env_hash, scalars, inputs, environment, cached_from, log_path) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            )?
            .execute(params![
                attempt.run_id,
                attempt.step,
                attempt.element,
                attempt.attempt,
                attempt.op,
                attempt.started_ms,
                key.map(|k| &k.cache_key),
                key.map(|k| &k.op_hash),
                key.map(|k| &k.code_hash),
                key.map(|k| &k.env_hash),
                key.map(|k| &k.scalars),
                key.map(|k| &k.inputs),
                key.map(|k| &k.environment),
                attempt.cached_from,
                attempt.log_path,
            ])?;
        Ok(self.tx.last_insert_rowid())
    }

    /// Records that an attempt read an artifact.
    ///
    /// `from` is the attempt (of the same run) and output the artifact came from; `None`
    /// for a run's param file.
    pub fn add_consumed(
        &self,
        attempt_id: i64,
        input: &str,
        position: &str,
        hash: &str,
        from: Option<(i64, &str)>,
    ) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT OR IGNORE INTO consumed (attempt_id, input, position, artifact_hash, \
                 from_attempt, from_output) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                attempt_id,
                input,
                position,
                hash,
                from.map(|f| f.0),
                from.map(|f| f.1)
            ])?;
        Ok(())
    }

    /// Records one output of an attempt (`value` is the JSON value; artifacts also name
    /// their hash, which must already be recorded).
    pub fn add_output(
        &self,
        attempt_id: i64,
        name: &str,
        value: &serde_json::Value,
        artifact: Option<&str>,
    ) -> Result<()> {
        self.tx.prepare_cached(
            "INSERT INTO outputs (attempt_id, name, value, artifact_hash) VALUES (?1, ?2, ?3, ?4)")?
            .execute(
            params![attempt_id, name, value.to_string(), artifact],
        )?;
        Ok(())
    }

    pub fn add_metric(&self, attempt_id: i64, output: &str, name: &str, value: f64) -> Result<()> {
        self.tx.prepare_cached(
            "INSERT OR IGNORE INTO metrics (attempt_id, output, name, value) VALUES (?1, ?2, ?3, ?4)")?
            .execute(
            params![attempt_id, output, name, value],
        )?;
        Ok(())
    }

    /// Records an attempt's end. An attempt ends once.
    pub fn end_attempt(
        &self,
        attempt_id: i64,
        status: AttemptStatus,
        exit_code: Option<i32>,
        error: Option<&str>,
    ) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO attempt_ends (attempt_id, ended_ms, status, exit_code, error) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                attempt_id,
                now_ms(),
                status.as_str(),
                exit_code,
                error
            ])?;
        Ok(())
    }
}

/// A run as recorded.
#[derive(Clone, Debug, Serialize)]
pub struct RunRecord {
    pub id: i64,
    pub uuid: String,
    pub pipeline: String,
    pub file: String,
    pub file_hash: String,
    pub program_hash: String,
    pub params: serde_json::Value,
    pub options: serde_json::Value,
    pub resumed_from: Option<i64>,
    pub started_ms: i64,
    pub ended_ms: Option<i64>,
    pub status: RunStatus,
    pub error: Option<String>,
    pub user: Option<String>,
    pub host: Option<String>,
    pub pid: Option<i64>,
    pub git_commit: Option<String>,
}

/// An attempt as recorded.
#[derive(Clone, Debug, Serialize)]
pub struct AttemptRecord {
    pub id: i64,
    pub run_id: i64,
    pub step: String,
    pub element: Element,
    pub attempt: u32,
    pub op: String,
    pub started_ms: i64,
    pub ended_ms: Option<i64>,
    pub status: AttemptStatus,
    pub exit_code: Option<i32>,
    pub error: Option<String>,
    pub key: Option<KeyParts>,
    pub cached_from: Option<i64>,
    pub log_path: Option<String>,
}

impl AttemptRecord {
    pub fn cache_hit(&self) -> bool {
        self.status == AttemptStatus::Cached
    }
}

/// An output as recorded.
#[derive(Clone, Debug, Serialize)]
pub struct OutputRecord {
    pub name: String,
    pub value: serde_json::Value,
    pub artifact: Option<String>,
}

/// An artifact as recorded.
#[derive(Clone, Debug, Serialize)]
pub struct ArtifactRecord {
    pub hash: String,
    pub kind: ArtifactKind,
    pub size: u64,
    pub type_name: String,
    pub name: Option<String>,
    pub produced_by: Option<i64>,
    pub created_ms: i64,
}

/// A metric as recorded.
#[derive(Clone, Debug, Serialize)]
pub struct MetricRecord {
    pub attempt_id: i64,
    pub step: String,
    pub element: Element,
    pub output: String,
    pub name: String,
    pub value: f64,
}

/// An artifact that an attempt read.
#[derive(Clone, Debug, Serialize)]
pub struct ConsumedRecord {
    pub input: String,
    pub position: String,
    pub artifact: String,
    /// The attempt and output it came from (`None` for a param file, or a record older
    /// than provenance per step).
    pub from_attempt: Option<i64>,
    pub from_output: Option<String>,
}

/// An artifact given as a run's param.
#[derive(Clone, Debug, Serialize)]
pub struct RunInputRecord {
    pub param: String,
    pub position: String,
    pub artifact: String,
    pub source_path: String,
}

/// Which runs [`Lineage::runs`] lists.
#[derive(Clone, Debug, Default)]
pub struct RunFilter {
    pub pipeline: Option<String>,
    pub status: Option<RunStatus>,
    pub limit: Option<usize>,
}

/// The lineage database.
pub struct Lineage {
    conn: Connection,
    host: Option<String>,
    /// A batch transaction is open (see [`Lineage::begin_batch`]).
    in_batch: bool,
}

const ATTEMPT_COLUMNS: &str = "a.id, a.run_id, a.step, a.element, a.attempt, a.op, a.started_ms, \
     e.ended_ms, e.status, e.exit_code, e.error, a.cache_key, a.op_hash, a.code_hash, a.env_hash, \
     a.scalars, a.inputs, a.environment, a.cached_from, a.log_path, \
     (SELECT 1 FROM run_ends re WHERE re.run_id = a.run_id), r.host, r.pid";

const RUN_COLUMNS: &str =
    "r.id, r.uuid, r.pipeline, r.file, r.file_hash, r.program_hash, r.params, \
     r.options, r.resumed_from, r.started_ms, e.ended_ms, e.status, e.error, r.user, r.host, \
     r.pid, r.git_commit";

/// A path as the path part of an SQLite `file:` URI (`%`, `?` and `#` escaped).
fn uri_path(path: &Path) -> String {
    let mut text = String::new();
    for c in path.to_string_lossy().chars() {
        match c {
            '%' => text.push_str("%25"),
            '?' => text.push_str("%3f"),
            '#' => text.push_str("%23"),
            c => text.push(c),
        }
    }
    text
}

impl Lineage {
    /// Opens (creating and migrating if needed) the database at `path`.
    pub fn open(path: &Path) -> Result<Lineage> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let conn = Connection::open(path)?;
        Self::setup(conn)
    }

    /// Opens an existing database for reading only: nothing is created, migrated or
    /// written, so a store on a read-only disk, or one the user may not write to, can be
    /// read. A WAL database whose `-shm` file cannot be created is read as immutable.
    pub fn open_read_only(path: &Path) -> Result<Lineage> {
        use rusqlite::OpenFlags;
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let open = |uri: String| -> Result<Lineage> {
            let conn = Connection::open_with_flags(uri, flags)?;
            conn.busy_timeout(Duration::from_secs(10))?;
            conn.set_prepared_statement_cache_capacity(64);
            let lineage = Lineage {
                conn,
                host: host_name(),
                in_batch: false,
            };
            let found = lineage.schema_version()?;
            let known = MIGRATIONS.len() as i64;
            match found.cmp(&known) {
                std::cmp::Ordering::Greater => Err(StoreError::TooNew { found, known }),
                std::cmp::Ordering::Less => Err(StoreError::TooOld { found, known }),
                std::cmp::Ordering::Equal => Ok(lineage),
            }
        };
        if !path.is_file() {
            return Err(StoreError::Io(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{} does not exist", path.display()),
            )));
        }
        let uri = format!("file:{}", uri_path(path));
        match open(uri.clone()) {
            Err(StoreError::Sql(_)) => open(format!("{uri}?immutable=1")),
            other => other,
        }
    }

    /// A database in memory, for tests.
    pub fn open_in_memory() -> Result<Lineage> {
        Self::setup(Connection::open_in_memory()?)
    }

    fn setup(conn: Connection) -> Result<Lineage> {
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.set_prepared_statement_cache_capacity(64);
        // WAL: readers never block the writer, and a killed writer leaves the database
        // as of its last commit. NORMAL sync is durable against process death.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let mut lineage = Lineage {
            conn,
            host: host_name(),
            in_batch: false,
        };
        lineage.migrate()?;
        Ok(lineage)
    }

    fn migrate(&mut self) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_version (
                 version    INTEGER PRIMARY KEY,
                 applied_ms INTEGER NOT NULL
             );",
        )?;
        let current: i64 = tx.query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_version",
            [],
            |r| r.get(0),
        )?;
        let known = MIGRATIONS.len() as i64;
        if current > known {
            return Err(StoreError::TooNew {
                found: current,
                known,
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
            tx.execute_batch(sql)?;
            tx.execute(
                "INSERT INTO schema_version (version, applied_ms) VALUES (?1, ?2)",
                params![i as i64 + 1, now_ms()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The schema version in force.
    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT MAX(version) FROM schema_version", [], |r| r.get(0))?)
    }

    /// The connection, for read queries this module does not offer.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Runs `f` inside one transaction: all of its writes land, or none. Inside a batch
    /// (see [`Lineage::begin_batch`]) it is a savepoint of the batch's transaction.
    pub fn write<T>(&mut self, f: impl FnOnce(&Writer<'_>) -> Result<T>) -> Result<T> {
        let (begin, commit, rollback) = if self.in_batch {
            ("SAVEPOINT w", "RELEASE w", "ROLLBACK TO w; RELEASE w")
        } else {
            ("BEGIN IMMEDIATE", "COMMIT", "ROLLBACK")
        };
        self.conn.prepare_cached(begin)?.execute([])?;
        match f(&Writer { tx: &self.conn }) {
            Ok(value) => {
                self.conn.prepare_cached(commit)?.execute([])?;
                Ok(value)
            }
            Err(e) => {
                let _ = self.conn.execute_batch(rollback);
                Err(e)
            }
        }
    }

    /// Opens a transaction that groups the following [`Lineage::write`]s until
    /// [`Lineage::commit_batch`]: one commit for many small state changes. Each write
    /// stays atomic; a crash loses the uncommitted batch as a whole.
    pub fn begin_batch(&mut self) -> Result<()> {
        if !self.in_batch {
            self.conn.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
            self.in_batch = true;
        }
        Ok(())
    }

    /// Commits the open batch, if any.
    pub fn commit_batch(&mut self) -> Result<()> {
        if self.in_batch {
            self.in_batch = false;
            self.conn.prepare_cached("COMMIT")?.execute([])?;
        }
        Ok(())
    }

    /// The latest attempt of a step (of any run of the pipeline) whose outputs exist:
    /// what `--only`/`--from` reuse for the steps they do not run.
    pub fn latest_result(
        &self,
        pipeline: &str,
        step: &str,
        element: &Element,
    ) -> Result<Option<AttemptRecord>> {
        let sql = format!(
            "SELECT {ATTEMPT_COLUMNS} FROM attempts a JOIN attempt_ends e ON e.attempt_id = a.id \
             JOIN runs r ON r.id = a.run_id \
             WHERE r.pipeline = ?1 AND a.step = ?2 AND a.element = ?3 \
             AND e.status IN ('succeeded', 'cached') ORDER BY a.id DESC LIMIT 1"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        Ok(stmt
            .query_row(params![pipeline, step, element], |row| {
                self.attempt_from_row(row)
            })
            .optional()?)
    }

    /// `PRAGMA integrity_check`: `ok`, or the problems found.
    pub fn integrity_check(&self) -> Result<String> {
        let mut stmt = self.conn.prepare("PRAGMA integrity_check")?;
        let lines: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<std::result::Result<_, _>>()?;
        Ok(lines.join("\n"))
    }

    fn run_status(
        &self,
        status: Option<String>,
        host: Option<&str>,
        pid: Option<i64>,
    ) -> RunStatus {
        match status.as_deref().and_then(RunStatus::parse) {
            Some(status) => status,
            None => {
                let here = host.is_some() && host == self.host.as_deref();
                if here && pid.is_some_and(|p| process_alive(p as i32)) {
                    RunStatus::Running
                } else {
                    RunStatus::Interrupted
                }
            }
        }
    }

    fn run_from_row(&self, row: &Row<'_>) -> rusqlite::Result<RunRecord> {
        let params: String = row.get(6)?;
        let options: String = row.get(7)?;
        let status: Option<String> = row.get(11)?;
        let host: Option<String> = row.get(14)?;
        let pid: Option<i64> = row.get(15)?;
        Ok(RunRecord {
            id: row.get(0)?,
            uuid: row.get(1)?,
            pipeline: row.get(2)?,
            file: row.get(3)?,
            file_hash: row.get(4)?,
            program_hash: row.get(5)?,
            params: serde_json::from_str(&params).unwrap_or(serde_json::Value::Null),
            options: serde_json::from_str(&options).unwrap_or(serde_json::Value::Null),
            resumed_from: row.get(8)?,
            started_ms: row.get(9)?,
            ended_ms: row.get(10)?,
            status: self.run_status(status, host.as_deref(), pid),
            error: row.get(12)?,
            user: row.get(13)?,
            host,
            pid,
            git_commit: row.get(16)?,
        })
    }

    fn attempt_from_row(&self, row: &Row<'_>) -> rusqlite::Result<AttemptRecord> {
        let status: Option<String> = row.get(8)?;
        let cache_key: Option<String> = row.get(11)?;
        let run_ended: Option<i64> = row.get(20)?;
        let host: Option<String> = row.get(21)?;
        let pid: Option<i64> = row.get(22)?;
        let status = match status.as_deref().and_then(AttemptStatus::parse) {
            Some(status) => status,
            None if run_ended.is_none()
                && self.run_status(None, host.as_deref(), pid) == RunStatus::Running =>
            {
                AttemptStatus::Running
            }
            None => AttemptStatus::Interrupted,
        };
        let key = match cache_key {
            Some(cache_key) => Some(KeyParts {
                cache_key,
                op_hash: row.get::<_, Option<String>>(12)?.unwrap_or_default(),
                code_hash: row.get::<_, Option<String>>(13)?.unwrap_or_default(),
                env_hash: row.get::<_, Option<String>>(14)?.unwrap_or_default(),
                scalars: row.get::<_, Option<String>>(15)?.unwrap_or_default(),
                inputs: row.get::<_, Option<String>>(16)?.unwrap_or_default(),
                environment: row.get::<_, Option<String>>(17)?.unwrap_or_default(),
            }),
            None => None,
        };
        Ok(AttemptRecord {
            id: row.get(0)?,
            run_id: row.get(1)?,
            step: row.get(2)?,
            element: row.get(3)?,
            attempt: row.get(4)?,
            op: row.get(5)?,
            started_ms: row.get(6)?,
            ended_ms: row.get(7)?,
            status,
            exit_code: row.get(9)?,
            error: row.get(10)?,
            key,
            cached_from: row.get(18)?,
            log_path: row.get(19)?,
        })
    }

    /// Runs, latest first.
    pub fn runs(&self, filter: &RunFilter) -> Result<Vec<RunRecord>> {
        let mut sql = format!(
            "SELECT {RUN_COLUMNS} FROM runs r LEFT JOIN run_ends e ON e.run_id = r.id \
             WHERE (?1 IS NULL OR r.pipeline = ?1) ORDER BY r.id DESC"
        );
        // Running and interrupted are told apart after reading, so the limit is applied
        // after filtering by status.
        if filter.status.is_none() {
            if let Some(limit) = filter.limit {
                sql.push_str(&format!(" LIMIT {limit}"));
            }
        }
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(params![filter.pipeline], |row| self.run_from_row(row))?;
        let mut runs = Vec::new();
        for run in rows {
            let run = run?;
            if filter.status.is_some_and(|s| s != run.status) {
                continue;
            }
            runs.push(run);
            if filter.limit.is_some_and(|l| runs.len() >= l) {
                break;
            }
        }
        Ok(runs)
    }

    /// One run.
    pub fn run(&self, id: i64) -> Result<Option<RunRecord>> {
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM runs r LEFT JOIN run_ends e ON e.run_id = r.id WHERE r.id = ?1"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        Ok(stmt
            .query_row(params![id], |row| self.run_from_row(row))
            .optional()?)
    }

    /// A run's attempts, in the order they started.
    pub fn attempts(&self, run_id: i64) -> Result<Vec<AttemptRecord>> {
        let sql = format!(
            "SELECT {ATTEMPT_COLUMNS} FROM attempts a LEFT JOIN attempt_ends e ON e.attempt_id = a.id \
             JOIN runs r ON r.id = a.run_id WHERE a.run_id = ?1 ORDER BY a.id"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![run_id], |row| self.attempt_from_row(row))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// One attempt.
    pub fn attempt(&self, id: i64) -> Result<Option<AttemptRecord>> {
        let sql = format!(
            "SELECT {ATTEMPT_COLUMNS} FROM attempts a LEFT JOIN attempt_ends e ON e.attempt_id = a.id \
             JOIN runs r ON r.id = a.run_id WHERE a.id = ?1"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        Ok(stmt
            .query_row(params![id], |row| self.attempt_from_row(row))
            .optional()?)
    }

    /// The latest attempt with this cache key that produced its outputs (cached records
    /// point at such an attempt with the same key, so they need not be searched).
    pub fn cache_hit(&self, cache_key: &str) -> Result<Option<AttemptRecord>> {
        let sql = format!(
            "SELECT {ATTEMPT_COLUMNS} FROM attempts a JOIN attempt_ends e ON e.attempt_id = a.id \
             JOIN runs r ON r.id = a.run_id \
             WHERE a.cache_key = ?1 AND e.status = 'succeeded' ORDER BY a.id DESC LIMIT 1"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        Ok(stmt
            .query_row(params![cache_key], |row| self.attempt_from_row(row))
            .optional()?)
    }

    /// The latest attempt of a step (of any run of the pipeline) that had a cache key:
    /// what `plan` compares against.
    pub fn latest_keyed_attempt(
        &self,
        pipeline: &str,
        step: &str,
        element: &Element,
    ) -> Result<Option<AttemptRecord>> {
        let sql = format!(
            "SELECT {ATTEMPT_COLUMNS} FROM attempts a LEFT JOIN attempt_ends e ON e.attempt_id = a.id \
             JOIN runs r ON r.id = a.run_id \
             WHERE r.pipeline = ?1 AND a.step = ?2 AND a.element = ?3 AND a.cache_key IS NOT NULL \
             ORDER BY a.id DESC LIMIT 1"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        Ok(stmt
            .query_row(params![pipeline, step, element], |row| {
                self.attempt_from_row(row)
            })
            .optional()?)
    }

    /// The outputs an attempt recorded.
    pub fn outputs(&self, attempt_id: i64) -> Result<Vec<OutputRecord>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT name, value, artifact_hash FROM outputs WHERE attempt_id = ?1 ORDER BY rowid",
        )?;
        let rows = stmt.query_map(params![attempt_id], |row| {
            let value: String = row.get(1)?;
            Ok(OutputRecord {
                name: row.get(0)?,
                value: serde_json::from_str(&value).unwrap_or(serde_json::Value::Null),
                artifact: row.get(2)?,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// The artifacts an attempt read.
    pub fn consumed(&self, attempt_id: i64) -> Result<Vec<ConsumedRecord>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT input, position, artifact_hash, from_attempt, from_output FROM consumed \
             WHERE attempt_id = ?1 ORDER BY input, position",
        )?;
        let rows = stmt.query_map(params![attempt_id], |row| {
            Ok(ConsumedRecord {
                input: row.get(0)?,
                position: row.get(1)?,
                artifact: row.get(2)?,
                from_attempt: row.get(3)?,
                from_output: row.get(4)?,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// The attempts that read an artifact (its direct consumers).
    pub fn consumers(&self, hash: &str) -> Result<Vec<i64>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT attempt_id FROM consumed WHERE artifact_hash = ?1 ORDER BY attempt_id",
        )?;
        let rows = stmt.query_map(params![hash], |row| row.get(0))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// The attempts that recorded an artifact as an output (the producer, and cached
    /// attempts that reused it).
    pub fn writers(&self, hash: &str) -> Result<Vec<i64>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT attempt_id FROM outputs WHERE artifact_hash = ?1 ORDER BY attempt_id",
        )?;
        let rows = stmt.query_map(params![hash], |row| row.get(0))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Metrics recorded by one attempt.
    pub fn metrics(&self, attempt_id: i64) -> Result<Vec<MetricRecord>> {
        self.metrics_where("m.attempt_id = ?1", attempt_id)
    }

    /// Metrics recorded by a run's attempts.
    pub fn run_metrics(&self, run_id: i64) -> Result<Vec<MetricRecord>> {
        self.metrics_where("a.run_id = ?1", run_id)
    }

    fn metrics_where(&self, condition: &str, id: i64) -> Result<Vec<MetricRecord>> {
        let sql = format!(
            "SELECT m.attempt_id, a.step, a.element, m.output, m.name, m.value FROM metrics m \
             JOIN attempts a ON a.id = m.attempt_id WHERE {condition} ORDER BY m.attempt_id, m.output, m.name"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![id], |row| {
            Ok(MetricRecord {
                attempt_id: row.get(0)?,
                step: row.get(1)?,
                element: row.get(2)?,
                output: row.get(3)?,
                name: row.get(4)?,
                value: row.get(5)?,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// One artifact.
    pub fn artifact(&self, hash: &str) -> Result<Option<ArtifactRecord>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT hash, kind, size, type, name, produced_by, created_ms FROM artifacts WHERE hash = ?1",
        )?;
        Ok(stmt
            .query_row(params![hash], |row| {
                let kind: String = row.get(1)?;
                Ok(ArtifactRecord {
                    hash: row.get(0)?,
                    kind: ArtifactKind::parse(&kind).unwrap_or(ArtifactKind::File),
                    size: row.get::<_, i64>(2)? as u64,
                    type_name: row.get(3)?,
                    name: row.get(4)?,
                    produced_by: row.get(5)?,
                    created_ms: row.get(6)?,
                })
            })
            .optional()?)
    }

    /// Artifacts given as a run's params.
    pub fn run_inputs(&self, run_id: i64) -> Result<Vec<RunInputRecord>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT param, position, artifact_hash, source_path FROM run_inputs WHERE run_id = ?1 \
             ORDER BY param, position",
        )?;
        let rows = stmt.query_map(params![run_id], |row| {
            Ok(RunInputRecord {
                param: row.get(0)?,
                position: row.get(1)?,
                artifact: row.get(2)?,
                source_path: row.get(3)?,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// The IR JSON a run executed.
    pub fn program(&self, hash: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT ir FROM programs WHERE hash = ?1",
                params![hash],
                |r| r.get(0),
            )
            .optional()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_run<'a>(params: &'a serde_json::Value) -> NewRun<'a> {
        NewRun {
            uuid: "u1",
            pipeline: "p",
            file: "p.mlf",
            file_hash: "fh",
            program_hash: "ph",
            program_json: "{}",
            params,
            options: params,
            resumed_from: None,
            started_ms: now_ms(),
            user: Some("me"),
            host: None,
            pid: Some(std::process::id() as i64),
            git_commit: None,
        }
    }

    #[test]
    fn migrations_apply_once_and_records_are_immutable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lineage.db");
        let mut db = Lineage::open(&path).unwrap();
        assert_eq!(db.schema_version().unwrap(), MIGRATIONS.len() as i64);
        let params = serde_json::json!({"x": 1});
        let run = db.write(|w| w.begin_run(&new_run(&params))).unwrap();
        drop(db);
        let mut db = Lineage::open(&path).unwrap();
        // No host recorded: a run without an end reads as interrupted.
        assert_eq!(db.run(run).unwrap().unwrap().status, RunStatus::Interrupted);
        db.write(|w| w.end_run(run, RunStatus::Succeeded, None))
            .unwrap();
        assert_eq!(db.run(run).unwrap().unwrap().status, RunStatus::Succeeded);
        // A second end, an update and a delete are all refused.
        assert!(db
            .write(|w| w.end_run(run, RunStatus::Failed, None))
            .is_err());
        let update = db
            .connection()
            .execute("UPDATE runs SET pipeline = 'q' WHERE id = ?1", [run]);
        assert!(update.unwrap_err().to_string().contains("immutable"));
        let delete = db.connection().execute("DELETE FROM run_ends", []);
        assert!(delete.is_err());
        assert_eq!(db.integrity_check().unwrap(), "ok");
    }

    #[test]
    fn a_failed_write_leaves_nothing() {
        let mut db = Lineage::open_in_memory().unwrap();
        let params = serde_json::json!({});
        let result: Result<()> = db.write(|w| {
            w.begin_run(&new_run(&params))?;
            // Violates the foreign key: the whole transaction is rolled back.
            w.end_run(999, RunStatus::Failed, None)
        });
        assert!(result.is_err());
        assert!(db.runs(&RunFilter::default()).unwrap().is_empty());
    }

    #[test]
    fn writes_inside_a_batch_are_atomic_savepoints() {
        let mut db = Lineage::open_in_memory().unwrap();
        let params = serde_json::json!({});
        db.begin_batch().unwrap();
        let run = db.write(|w| w.begin_run(&new_run(&params))).unwrap();
        let failed: Result<()> = db.write(|w| {
            w.end_run(run, RunStatus::Succeeded, None)?;
            w.end_run(run, RunStatus::Failed, None)
        });
        assert!(failed.is_err());
        db.commit_batch().unwrap();
        // The run landed with the batch; its half-written end did not.
        let record = db.run(run).unwrap().unwrap();
        assert!(record.ended_ms.is_none());
        assert_eq!(record.status, RunStatus::Interrupted);
    }

    #[test]
    fn cache_hits_find_the_latest_attempt_with_outputs() {
        let mut db = Lineage::open_in_memory().unwrap();
        let params = serde_json::json!({});
        let mut run = new_run(&params);
        run.host = None;
        let run_id = db.write(|w| w.begin_run(&run)).unwrap();
        let key = KeyParts {
            cache_key: "k".into(),
            op_hash: "o".into(),
            code_hash: "c".into(),
            env_hash: "e".into(),
            scalars: "{}".into(),
            inputs: "{}".into(),
            environment: "{}".into(),
        };
        let element = Element::NONE;
        let attempt = |n: u32| NewAttempt {
            run_id,
            step: "s",
            element: &element,
            attempt: n,
            op: "op",
            started_ms: now_ms(),
            key: Some(&key),
            cached_from: None,
            log_path: None,
        };
        let first = db
            .write(|w| {
                let id = w.start_attempt(&attempt(1))?;
                w.end_attempt(id, AttemptStatus::Failed, Some(1), Some("boom"))?;
                Ok(id)
            })
            .unwrap();
        assert!(db.cache_hit("k").unwrap().is_none());
        let second = db
            .write(|w| {
                let id = w.start_attempt(&attempt(2))?;
                w.add_artifact(&NewArtifact {
                    hash: "h",
                    kind: ArtifactKind::File,
                    size: 3,
                    type_name: "Model",
                    name: Some("model"),
                    produced_by: Some(id),
                })?;
                w.add_output(
                    id,
                    "model",
                    &serde_json::json!({"artifact": "h"}),
                    Some("h"),
                )?;
                w.add_metric(id, "report", "mse", 0.5)?;
                w.end_attempt(id, AttemptStatus::Succeeded, Some(0), None)?;
                Ok(id)
            })
            .unwrap();
        let hit = db.cache_hit("k").unwrap().unwrap();
        assert_eq!(hit.id, second);
        assert_ne!(hit.id, first);
        assert_eq!(
            db.outputs(second).unwrap()[0].artifact.as_deref(),
            Some("h")
        );
        assert_eq!(db.writers("h").unwrap(), vec![second]);
        assert_eq!(db.run_metrics(run_id).unwrap()[0].value, 0.5);
        let attempts = db.attempts(run_id).unwrap();
        assert_eq!(attempts[0].status, AttemptStatus::Failed);
        assert_eq!(attempts[1].status, AttemptStatus::Succeeded);
        assert_eq!(
            db.latest_keyed_attempt("p", "s", &Element::NONE)
                .unwrap()
                .unwrap()
                .id,
            second
        );
    }
}
