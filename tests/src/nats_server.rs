//! Start, stop and restart a real `nats-server` (with JetStream) for tests.
//!
//! Each [`NatsServer`] runs its own `nats-server` child process on a free loopback port, with
//! its own JetStream store in a temporary directory and its own log file (so the server's output
//! never clutters the test output). Dropping the value kills the process and removes the
//! directory.
//!
//! The binary is found by [`NatsServerBinary::locate`]: the `NATS_SERVER_BIN` environment
//! variable, else `<workspace>/.tools/bin/nats-server` (installed by
//! `scripts/install-nats-server`), else `nats-server` on `PATH`. It must be version 2.10 or
//! newer.
//!
//! ```no_run
//! use polyn_tests::NatsServer;
//!
//! let mut server = NatsServer::start();
//! let url = server.url(); // e.g. "nats://127.0.0.1:40123"
//! // ... connect with async-nats, create streams and KV buckets ...
//! server.restart(); // same port, same store: JetStream data survives
//! # let _ = url;
//! ```

use std::env;
use std::ffi::OsString;
use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// Name of the environment variable that, when set, names the `nats-server` binary to use.
pub const NATS_SERVER_BIN_ENV: &str = "NATS_SERVER_BIN";

/// Oldest supported `nats-server` release, as `(major, minor)`.
///
/// async-nats 0.51 cannot create a KV bucket on servers older than 2.10.
pub const MIN_SERVER_VERSION: (u64, u64) = (2, 10);

/// How long [`NatsServer`] waits for a freshly started server to accept connections.
pub const READY_TIMEOUT: Duration = Duration::from_secs(10);

/// What to do about a missing or unsuitable binary; appended to the binary-related errors.
const INSTALL_HINT: &str = "Run `scripts/install-nats-server` to install a pinned one into .tools/, or set NATS_SERVER_BIN.";

/// How many times a start is retried when the port turns out to be taken.
const START_ATTEMPTS: usize = 5;

/// Pause between two readiness probes.
const POLL_INTERVAL: Duration = Duration::from_millis(20);

/// How long a readiness probe waits for the `INFO` line. Short, because a miss only means
/// probing again (until [`READY_TIMEOUT`]), while a listener that is not our server (a port
/// squatter) would otherwise stall each probe.
const PROBE_READ_TIMEOUT: Duration = Duration::from_millis(250);

/// How many lines of the server log an error shows.
const LOG_TAIL_LINES: usize = 40;

/// What `nats-server` logs when its client port is already bound.
const ADDRESS_IN_USE: &str = "address already in use";

/// Tells the servers started by this process apart (their `server_name`).
static NEXT_SERVER_ID: AtomicUsize = AtomicUsize::new(0);

/// A `nats-server` version, as printed by `nats-server --version` (`nats-server: v2.10.22`).
///
/// ```
/// use polyn_tests::nats_server::ServerVersion;
///
/// let version = ServerVersion::parse("nats-server: v2.10.22").expect("a version");
/// assert_eq!((version.major, version.minor, version.patch), (2, 10, 22));
/// assert!(version.is_supported());
/// assert!(!ServerVersion::parse("nats-server: v2.9.10").expect("a version").is_supported());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerVersion {
    /// Major version (the `2` in `2.10.22`).
    pub major: u64,
    /// Minor version (the `10` in `2.10.22`).
    pub minor: u64,
    /// Patch version (the `22` in `2.10.22`).
    pub patch: u64,
    /// Pre-release suffix without its dash (the `beta` in `2.15.0-beta`), if any.
    pub pre_release: Option<String>,
}

impl ServerVersion {
    /// Parses the output of `nats-server --version`, or a bare version such as `v2.10.22` or
    /// `2.15.0-beta`. Returns `None` when no `MAJOR.MINOR.PATCH` version is found.
    pub fn parse(output: &str) -> Option<ServerVersion> {
        output.split_whitespace().find_map(Self::parse_token)
    }

    /// Parses one whitespace-free token such as `v2.10.22` or `2.15.0-beta`.
    fn parse_token(token: &str) -> Option<ServerVersion> {
        let token = token.strip_prefix(['v', 'V']).unwrap_or(token);
        let (core, pre_release) = match token.split_once(['-', '+']) {
            Some((core, rest)) if !rest.is_empty() => (core, Some(rest.to_owned())),
            Some(_) => return None,
            None => (token, None),
        };
        let mut numbers = core.split('.').map(|part| {
            if !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) {
                part.parse::<u64>().ok()
            } else {
                None
            }
        });
        let major = numbers.next()??;
        let minor = numbers.next()??;
        let patch = numbers.next()??;
        if numbers.next().is_some() {
            return None;
        }
        Some(ServerVersion {
            major,
            minor,
            patch,
            pre_release,
        })
    }

    /// Whether this version is at least [`MIN_SERVER_VERSION`] (pre-releases of a supported
    /// minor version count as supported).
    pub fn is_supported(&self) -> bool {
        (self.major, self.minor) >= MIN_SERVER_VERSION
    }
}

impl fmt::Display for ServerVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if let Some(pre) = &self.pre_release {
            write!(f, "-{pre}")?;
        }
        Ok(())
    }
}

/// Where a [`NatsServerBinary`] was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinarySource {
    /// Named by the `NATS_SERVER_BIN` environment variable.
    EnvVar,
    /// The copy installed by `scripts/install-nats-server` in `<workspace>/.tools/bin/`.
    ToolsDir,
    /// Found on `PATH`.
    Path,
    /// Given explicitly to [`NatsServerBinary::check`].
    Explicit,
}

impl fmt::Display for BinarySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BinarySource::EnvVar => "from NATS_SERVER_BIN",
            BinarySource::ToolsDir => "from .tools/",
            BinarySource::Path => "from PATH",
            BinarySource::Explicit => "given explicitly",
        })
    }
}

/// A `nats-server` binary that has been run with `--version` and found recent enough.
///
/// ```no_run
/// use polyn_tests::nats_server::NatsServerBinary;
///
/// let binary = NatsServerBinary::locate()?;
/// println!("using {} ({})", binary.path().display(), binary.version());
/// # Ok::<(), polyn_tests::nats_server::HarnessError>(())
/// ```
#[derive(Debug, Clone)]
pub struct NatsServerBinary {
    path: PathBuf,
    version: ServerVersion,
    source: BinarySource,
}

impl NatsServerBinary {
    /// Finds and checks the binary to use: `$NATS_SERVER_BIN` if set (and then only that),
    /// else [`tools_binary_path`] if it exists, else `nats-server` on `PATH`.
    ///
    /// # Errors
    ///
    /// [`HarnessError::BinaryNotFound`] when there is none, or any error of
    /// [`NatsServerBinary::check`] for the one found.
    pub fn locate() -> Result<NatsServerBinary, HarnessError> {
        let (path, source) = find_binary(
            env::var_os(NATS_SERVER_BIN_ENV),
            &tools_binary_path(),
            env::var_os("PATH"),
        )?;
        Self::check_from(path, source)
    }

    /// Checks the binary at `path`: runs `path --version` and requires version 2.10 or newer.
    ///
    /// ```
    /// use polyn_tests::nats_server::{HarnessError, NatsServerBinary};
    ///
    /// let err = NatsServerBinary::check("/nonexistent/nats-server").expect_err("no such binary");
    /// assert!(matches!(err, HarnessError::BinaryNotRunnable { .. }));
    /// assert!(err.to_string().contains("scripts/install-nats-server"));
    /// ```
    ///
    /// # Errors
    ///
    /// [`HarnessError::BinaryNotRunnable`] if it cannot be run,
    /// [`HarnessError::UnrecognisedVersion`] if it does not print a version, and
    /// [`HarnessError::VersionTooOld`] if the version is older than 2.10.
    pub fn check(path: impl AsRef<Path>) -> Result<NatsServerBinary, HarnessError> {
        Self::check_from(path.as_ref().to_path_buf(), BinarySource::Explicit)
    }

    fn check_from(path: PathBuf, source: BinarySource) -> Result<NatsServerBinary, HarnessError> {
        let output = match run_version_command(&path) {
            Ok(output) => output,
            Err(error) => {
                return Err(HarnessError::BinaryNotRunnable {
                    path,
                    origin: source,
                    error,
                });
            }
        };
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let printed = [stdout.trim(), stderr.trim()]
            .into_iter()
            .filter(|text| !text.is_empty())
            .collect::<Vec<_>>()
            .join(" / ");
        let version = match ServerVersion::parse(&stdout).or_else(|| ServerVersion::parse(&stderr))
        {
            Some(version) if output.status.success() => version,
            _ => {
                return Err(HarnessError::UnrecognisedVersion {
                    path,
                    output: format!("{} ({})", printed, output.status),
                });
            }
        };
        if !version.is_supported() {
            return Err(HarnessError::VersionTooOld { path, version });
        }
        Ok(NatsServerBinary {
            path,
            version,
            source,
        })
    }

    /// Path of the binary.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Version reported by the binary.
    pub fn version(&self) -> &ServerVersion {
        &self.version
    }

    /// Where the binary was found.
    pub fn source(&self) -> BinarySource {
        self.source
    }
}

/// Where `scripts/install-nats-server` puts the binary: `<workspace root>/.tools/bin/nats-server`.
pub fn tools_binary_path() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .unwrap_or(manifest_dir)
        .join(".tools")
        .join("bin")
        .join("nats-server")
}

/// Runs `path --version`, retrying briefly if the file is busy being written (which happens
/// when a test has just written a fake binary while another thread was spawning a process).
fn run_version_command(path: &Path) -> io::Result<std::process::Output> {
    let mut attempts = 0;
    loop {
        attempts += 1;
        match Command::new(path)
            .arg("--version")
            .stdin(Stdio::null())
            .output()
        {
            Err(err) if err.kind() == io::ErrorKind::ExecutableFileBusy && attempts < 10 => {
                thread::sleep(Duration::from_millis(20));
            }
            result => return result,
        }
    }
}

/// The lookup behind [`NatsServerBinary::locate`], without touching the environment.
fn find_binary(
    env_value: Option<OsString>,
    tools_bin: &Path,
    path_var: Option<OsString>,
) -> Result<(PathBuf, BinarySource), HarnessError> {
    if let Some(value) = env_value.filter(|value| !value.is_empty()) {
        return Ok((PathBuf::from(value), BinarySource::EnvVar));
    }
    if tools_bin.exists() {
        return Ok((tools_bin.to_path_buf(), BinarySource::ToolsDir));
    }
    // The first executable `nats-server` in the given PATH; relative entries
    // stay relative, as the current directory is not consulted.
    let on_path = path_var
        .and_then(|path_var| which::which_in_global("nats-server", Some(path_var)).ok())
        .and_then(|mut found| found.next());
    match on_path {
        Some(path) => Ok((path, BinarySource::Path)),
        None => Err(HarnessError::BinaryNotFound {
            tools_path: tools_bin.to_path_buf(),
        }),
    }
}

/// Why the harness could not find a suitable binary or start a server.
#[derive(Debug)]
#[non_exhaustive]
pub enum HarnessError {
    /// No binary in `NATS_SERVER_BIN`, `.tools/bin/` or on `PATH`.
    BinaryNotFound {
        /// The `.tools/bin/nats-server` path that was looked at.
        tools_path: PathBuf,
    },
    /// The binary could not be executed (missing, not executable, ...).
    BinaryNotRunnable {
        /// Path that was tried.
        path: PathBuf,
        /// Where that path came from.
        origin: BinarySource,
        /// The error from trying to run it.
        error: io::Error,
    },
    /// `--version` failed or printed no recognisable version.
    UnrecognisedVersion {
        /// Path of the binary.
        path: PathBuf,
        /// What it printed, and its exit status.
        output: String,
    },
    /// The binary is older than [`MIN_SERVER_VERSION`].
    VersionTooOld {
        /// Path of the binary.
        path: PathBuf,
        /// Version it reported.
        version: ServerVersion,
    },
    /// A file-system or process operation of the harness failed.
    Io {
        /// What the harness was doing.
        action: String,
        /// The underlying error.
        error: io::Error,
    },
    /// The server process was started but did not become ready.
    StartFailed {
        /// Path of the binary.
        binary: PathBuf,
        /// Port it was asked to listen on.
        port: u16,
        /// Why it is considered failed (exited early, timed out, ...).
        reason: String,
        /// The server's log file.
        log_path: PathBuf,
        /// The last lines the server logged during this attempt.
        log_tail: String,
    },
}

impl HarnessError {
    fn io(action: impl Into<String>) -> impl FnOnce(io::Error) -> HarnessError {
        let action = action.into();
        move |error| HarnessError::Io { action, error }
    }

    /// Whether this is a failed start because the port was already bound.
    fn is_port_conflict(&self) -> bool {
        matches!(self, HarnessError::StartFailed { log_tail, .. } if log_tail.contains(ADDRESS_IN_USE))
    }
}

impl fmt::Display for HarnessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (min_major, min_minor) = MIN_SERVER_VERSION;
        match self {
            HarnessError::BinaryNotFound { tools_path } => write!(
                f,
                "no nats-server binary found: {NATS_SERVER_BIN_ENV} is not set, {} does not exist \
                 and there is no nats-server on PATH. Polyn's tests need nats-server \
                 {min_major}.{min_minor} or newer. {INSTALL_HINT}",
                tools_path.display()
            ),
            HarnessError::BinaryNotRunnable {
                path,
                origin,
                error,
            } => write!(
                f,
                "nats-server at {} ({origin}) could not be run: {error}. Polyn's tests need \
                 nats-server {min_major}.{min_minor} or newer. {INSTALL_HINT}",
                path.display()
            ),
            HarnessError::UnrecognisedVersion { path, output } => write!(
                f,
                "nats-server at {} did not report a version for `--version` (it printed: \
                 {output}). Polyn's tests need nats-server {min_major}.{min_minor} or newer. \
                 {INSTALL_HINT}",
                path.display()
            ),
            HarnessError::VersionTooOld { path, version } => write!(
                f,
                "nats-server at {} is version {version}, but Polyn's tests need \
                 {min_major}.{min_minor} or newer (async-nats 0.51 cannot create a KV bucket on \
                 older servers). {INSTALL_HINT}",
                path.display()
            ),
            HarnessError::Io { action, error } => {
                write!(f, "nats-server test harness: could not {action}: {error}")
            }
            HarnessError::StartFailed {
                binary,
                port,
                reason,
                log_path,
                log_tail,
            } => write!(
                f,
                "nats-server ({}) failed to start on 127.0.0.1:{port}: {reason}\n\
                 --- last lines of {} ---\n{log_tail}\n--- end of log ---",
                binary.display(),
                log_path.display()
            ),
        }
    }
}

impl std::error::Error for HarnessError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            HarnessError::BinaryNotRunnable { error, .. } | HarnessError::Io { error, .. } => {
                Some(error)
            }
            _ => None,
        }
    }
}

/// A running (or deliberately stopped) `nats-server -js` child process for one test.
///
/// It listens on `127.0.0.1` on a port of its own, keeps its JetStream data in a temporary
/// directory of its own and logs to a file in that directory. [`restart`](Self::restart) and
/// [`stop`](Self::stop) / [`start_again`](Self::start_again) keep the port and the data, so
/// clients can reconnect to the same [`url`](Self::url) and find their streams and KV buckets.
/// Dropping it kills the process and deletes the directory.
///
/// ```no_run
/// use polyn_tests::NatsServer;
///
/// let mut server = NatsServer::start();
/// println!("JetStream at {}, data in {}", server.url(), server.store_dir().display());
///
/// server.stop(); // like a crash: the process is killed
/// assert!(!server.is_running());
/// // ... check how clients behave while the server is down ...
/// server.start_again(); // same port, same data
/// ```
#[derive(Debug)]
pub struct NatsServer {
    binary: NatsServerBinary,
    name: String,
    port: u16,
    store_dir: PathBuf,
    log_path: PathBuf,
    child: Option<Child>,
    dir: TempDir,
    /// Extra command-line arguments, kept across restarts.
    extra_args: Vec<String>,
}

impl NatsServer {
    /// Starts a server with the binary found by [`NatsServerBinary::locate`] and waits until
    /// it accepts connections.
    ///
    /// ```no_run
    /// let server = polyn_tests::NatsServer::start();
    /// assert!(server.url().starts_with("nats://127.0.0.1:"));
    /// ```
    ///
    /// # Panics
    ///
    /// If [`try_start`](Self::try_start) fails; the message is the error's `Display`.
    pub fn start() -> NatsServer {
        NatsServer::try_start().unwrap_or_else(|err| panic!("{err}"))
    }

    /// Like [`start`](Self::start), but returns the error.
    ///
    /// # Errors
    ///
    /// Any error of [`NatsServerBinary::locate`] or [`start_with`](Self::start_with).
    pub fn try_start() -> Result<NatsServer, HarnessError> {
        NatsServer::start_with(NatsServerBinary::locate()?)
    }

    /// Like [`start`](Self::start), with extra `nats-server` arguments, e.g.
    /// authentication (`--auth <token>`, `--user u --pass p`). They are kept
    /// across restarts.
    ///
    /// ```no_run
    /// let server = polyn_tests::NatsServer::start_with_args(&["--auth", "s3cret"]);
    /// ```
    ///
    /// # Panics
    ///
    /// If the binary cannot be located or the server does not start.
    pub fn start_with_args(args: &[&str]) -> NatsServer {
        NatsServerBinary::locate()
            .and_then(|binary| NatsServer::launch_new(binary, args))
            .unwrap_or_else(|err| panic!("{err}"))
    }

    /// Starts a server with the given binary on a free port and waits until it accepts
    /// connections (at most [`READY_TIMEOUT`]).
    ///
    /// ```no_run
    /// use polyn_tests::nats_server::{NatsServer, NatsServerBinary};
    ///
    /// let binary = NatsServerBinary::check("/usr/local/bin/nats-server")?;
    /// let server = NatsServer::start_with(binary)?;
    /// # Ok::<(), polyn_tests::nats_server::HarnessError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`HarnessError::Io`] if the temporary directory or log cannot be created or the process
    /// cannot be spawned, and [`HarnessError::StartFailed`] (with the tail of the server log)
    /// if the server exits or is not ready in time. A start that fails because another process
    /// grabbed the port first is retried on another port.
    pub fn start_with(binary: NatsServerBinary) -> Result<NatsServer, HarnessError> {
        NatsServer::launch_new(binary, &[])
    }

    fn launch_new(binary: NatsServerBinary, args: &[&str]) -> Result<NatsServer, HarnessError> {
        let dir = tempfile::Builder::new()
            .prefix("polyn-nats-server-")
            .tempdir()
            .map_err(HarnessError::io("create a temporary directory"))?;
        let store_dir = dir.path().join("store");
        fs::create_dir(&store_dir).map_err(HarnessError::io(format!(
            "create the store directory {}",
            store_dir.display()
        )))?;
        let id = NEXT_SERVER_ID.fetch_add(1, Ordering::Relaxed);
        let mut server = NatsServer {
            binary,
            name: format!("polyn-test-{}-{id}", std::process::id()),
            port: 0,
            log_path: dir.path().join("nats-server.log"),
            store_dir,
            child: None,
            dir,
            extra_args: args.iter().map(|arg| (*arg).to_owned()).collect(),
        };
        let mut attempt = 1;
        loop {
            server.port = free_loopback_port()?;
            match server.launch() {
                Ok(()) => return Ok(server),
                Err(err) if err.is_port_conflict() && attempt < START_ATTEMPTS => attempt += 1,
                Err(err) => return Err(err),
            }
        }
    }

    /// The client URL, `nats://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// The client port (the same across restarts).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The JetStream store directory (`-sd`), kept across restarts and removed on drop.
    pub fn store_dir(&self) -> &Path {
        &self.store_dir
    }

    /// The file the server's stdout and stderr go to (appended to across restarts).
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// The temporary directory holding the store and the log, removed on drop.
    pub fn temp_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The `server_name` the server runs with, unique among the servers of this process.
    pub fn server_name(&self) -> &str {
        &self.name
    }

    /// The binary the server runs.
    pub fn binary(&self) -> &NatsServerBinary {
        &self.binary
    }

    /// The server's process id while it runs, e.g. to read its CPU time.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Whether the server process is alive (it may have been stopped, or have died).
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|child| matches!(child.try_wait(), Ok(None)))
    }

    /// Kills the server process (abruptly, like a crash) and waits for it to exit. The port
    /// and the store directory are kept for [`start_again`](Self::start_again). Does nothing
    /// if it is not running.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // kill fails only if the process has already exited; wait reaps it either way.
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again after [`stop`](Self::stop), on the same port with the same
    /// store directory, and waits until it accepts connections. Does nothing if it is running.
    ///
    /// # Panics
    ///
    /// If [`try_start_again`](Self::try_start_again) fails; the message is the error's
    /// `Display`.
    pub fn start_again(&mut self) {
        if let Err(err) = self.try_start_again() {
            panic!("{err}");
        }
    }

    /// Like [`start_again`](Self::start_again), but returns the error.
    ///
    /// # Errors
    ///
    /// [`HarnessError::Io`] if the process cannot be spawned, and
    /// [`HarnessError::StartFailed`] (with the tail of the server log) if it exits or is not
    /// ready in time. If the port is briefly taken by another process, the start is retried a
    /// few times.
    pub fn try_start_again(&mut self) -> Result<(), HarnessError> {
        if self.is_running() {
            return Ok(());
        }
        // Reap a process that died on its own.
        self.stop();
        let mut attempt = 1;
        loop {
            match self.launch() {
                Ok(()) => return Ok(()),
                Err(err) if err.is_port_conflict() && attempt < START_ATTEMPTS => {
                    attempt += 1;
                    thread::sleep(Duration::from_millis(100));
                }
                Err(err) => return Err(err),
            }
        }
    }

    /// [`stop`](Self::stop), then [`start_again`](Self::start_again): same port, same store
    /// directory, so JetStream streams and KV buckets survive.
    ///
    /// # Panics
    ///
    /// If the server cannot be started again; the message is the error's `Display`.
    pub fn restart(&mut self) {
        if let Err(err) = self.try_restart() {
            panic!("{err}");
        }
    }

    /// Like [`restart`](Self::restart), but returns the error.
    ///
    /// # Errors
    ///
    /// As [`try_start_again`](Self::try_start_again).
    pub fn try_restart(&mut self) -> Result<(), HarnessError> {
        self.stop();
        self.try_start_again()
    }

    /// Spawns the process on `self.port` and waits until it is ready; on failure the process
    /// is killed and the error carries this attempt's log output.
    fn launch(&mut self) -> Result<(), HarnessError> {
        let log_action = || format!("open the server log {}", self.log_path.display());
        let mut log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .map_err(HarnessError::io(log_action()))?;
        let offset = log
            .metadata()
            .map_err(HarnessError::io(log_action()))?
            .len();
        let port = self.port.to_string();
        writeln!(
            log,
            "=== polyn-tests: starting {} -js -a 127.0.0.1 -p {port} -n {} -sd {} ===",
            self.binary.path.display(),
            self.name,
            self.store_dir.display()
        )
        .map_err(HarnessError::io(log_action()))?;
        let stderr = log.try_clone().map_err(HarnessError::io(log_action()))?;
        let child = Command::new(&self.binary.path)
            .args([
                "-js",
                "-a",
                "127.0.0.1",
                "-p",
                &port,
                "-n",
                &self.name,
                "-sd",
            ])
            .arg(&self.store_dir)
            .args(&self.extra_args)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(stderr)
            .spawn()
            .map_err(HarnessError::io(format!(
                "spawn {}",
                self.binary.path.display()
            )))?;
        self.child = Some(child);
        match self.wait_until_ready() {
            Ok(()) => Ok(()),
            Err(reason) => {
                self.stop();
                Err(HarnessError::StartFailed {
                    binary: self.binary.path.clone(),
                    port: self.port,
                    reason,
                    log_path: self.log_path.clone(),
                    log_tail: read_log_tail(&self.log_path, offset, LOG_TAIL_LINES),
                })
            }
        }
    }

    /// Polls until this server (recognised by its `server_name`) sends its `INFO` line on the
    /// port, the process exits, or [`READY_TIMEOUT`] passes.
    fn wait_until_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + READY_TIMEOUT;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        loop {
            match self.child.as_mut().map(Child::try_wait) {
                None => return Err("the process is not running".to_owned()),
                Some(Ok(Some(status))) => return Err(format!("the process exited with {status}")),
                Some(Err(err)) => return Err(format!("could not check on the process: {err}")),
                Some(Ok(None)) => {}
            }
            let last_probe = match probe(addr, &self.name) {
                Ok(()) => return Ok(()),
                Err(err) => err,
            };
            if Instant::now() >= deadline {
                return Err(format!(
                    "not ready after {READY_TIMEOUT:?} (last probe: {last_probe})"
                ));
            }
            thread::sleep(POLL_INTERVAL);
        }
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.stop();
        // The TempDir field is dropped (and the directory removed) after this.
    }
}

/// Asks the OS for a free port on 127.0.0.1 and releases it for the server to bind.
pub(crate) fn free_loopback_port() -> Result<u16, HarnessError> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(HarnessError::io("bind 127.0.0.1:0 to find a free port"))?;
    let addr = listener
        .local_addr()
        .map_err(HarnessError::io("read the address of a bound port"))?;
    Ok(addr.port())
}

/// Connects to `addr` and checks that the first line is the `INFO` of the server named `name`.
fn probe(addr: SocketAddr, name: &str) -> Result<(), String> {
    let stream = TcpStream::connect_timeout(&addr, Duration::from_millis(500))
        .map_err(|err| format!("connect to {addr}: {err}"))?;
    stream
        .set_read_timeout(Some(PROBE_READ_TIMEOUT))
        .map_err(|err| format!("set a read timeout: {err}"))?;
    let mut line = String::new();
    BufReader::new(stream.take(64 * 1024))
        .read_line(&mut line)
        .map_err(|err| format!("read the INFO line from {addr}: {err}"))?;
    if !line.starts_with("INFO ") {
        return Err(format!("{addr} did not start with INFO but sent {line:?}"));
    }
    if !line.contains(&format!("\"server_name\":\"{name}\"")) {
        return Err(format!("{addr} is another server than {name}"));
    }
    Ok(())
}

/// The last `lines` lines of the log file from byte `offset` on (or a note why there are none).
fn read_log_tail(path: &Path, offset: u64, lines: usize) -> String {
    match fs::read(path) {
        Ok(bytes) => {
            let start = usize::try_from(offset)
                .unwrap_or(usize::MAX)
                .min(bytes.len());
            tail_lines(&String::from_utf8_lossy(&bytes[start..]), lines)
        }
        Err(err) => format!("(could not read {}: {err})", path.display()),
    }
}

/// The last `n` lines of `text`.
fn tail_lines(text: &str, n: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(n)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(major: u64, minor: u64, patch: u64, pre: Option<&str>) -> ServerVersion {
        ServerVersion {
            major,
            minor,
            patch,
            pre_release: pre.map(str::to_owned),
        }
    }

    #[test]
    fn parses_version_output() {
        let cases = [
            ("nats-server: v2.9.10", version(2, 9, 10, None)),
            ("nats-server: v2.10.22\n", version(2, 10, 22, None)),
            ("nats-server: v2.15.0-beta", version(2, 15, 0, Some("beta"))),
            ("nats-server: v2.11.0-RC.1", version(2, 11, 0, Some("RC.1"))),
            ("v2.15.1", version(2, 15, 1, None)),
            ("2.10.0", version(2, 10, 0, None)),
            ("nats-server: V3.0.1", version(3, 0, 1, None)),
        ];
        for (input, expected) in cases {
            assert_eq!(ServerVersion::parse(input), Some(expected), "{input:?}");
        }
    }

    #[test]
    fn rejects_output_without_a_version() {
        for input in [
            "",
            "nats-server",
            "nats-server: v2.10",
            "nats-server: vx.y.z",
            "nats-server: v2.10.1.4",
            "nats-server: v2..1",
            "nats-server: v2.10.1-",
            "command not found",
        ] {
            assert_eq!(ServerVersion::parse(input), None, "{input:?}");
        }
    }

    #[test]
    fn requires_2_10_or_newer() {
        let supported = |s: &str| {
            ServerVersion::parse(s)
                .expect("test input has a version")
                .is_supported()
        };
        assert!(!supported("v2.9.10"));
        assert!(!supported("v2.9.99"));
        assert!(!supported("v1.99.0"));
        assert!(supported("v2.10.0"));
        assert!(supported("v2.10.22"));
        assert!(supported("v2.15.0-beta"));
        assert!(supported("v2.10.0-RC.1"));
        assert!(supported("v3.0.0"));
    }

    #[test]
    fn displays_versions() {
        assert_eq!(version(2, 10, 22, None).to_string(), "2.10.22");
        assert_eq!(version(2, 15, 0, Some("beta")).to_string(), "2.15.0-beta");
    }

    #[test]
    fn env_var_wins_even_if_it_names_nothing() {
        let (path, source) = find_binary(
            Some("/nonexistent/nats-server".into()),
            Path::new(env!("CARGO_MANIFEST_DIR")),
            None,
        )
        .expect("the env var is taken as is");
        assert_eq!(path, PathBuf::from("/nonexistent/nats-server"));
        assert_eq!(source, BinarySource::EnvVar);
    }

    #[test]
    fn empty_env_var_counts_as_unset() {
        let tools = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
        let (path, source) =
            find_binary(Some(OsString::new()), &tools, None).expect("falls back to tools");
        assert_eq!(path, tools);
        assert_eq!(source, BinarySource::ToolsDir);
    }

    #[cfg(unix)]
    #[test]
    fn falls_back_to_path_then_reports_not_found() {
        use std::os::unix::fs::PermissionsExt;

        let dir = tempfile::tempdir().expect("temp dir");
        let missing_tools = dir.path().join("tools/bin/nats-server");
        let empty = dir.path().join("empty");
        let with_bin = dir.path().join("with-bin");
        fs::create_dir(&empty).expect("mkdir");
        fs::create_dir(&with_bin).expect("mkdir");
        let bin = with_bin.join("nats-server");
        fs::write(&bin, "#!/bin/sh\n").expect("write");
        fs::set_permissions(&bin, fs::Permissions::from_mode(0o755)).expect("chmod");
        // A `nats-server` that is not executable is passed over.
        let not_executable = dir.path().join("not-executable");
        fs::create_dir(&not_executable).expect("mkdir");
        let plain = not_executable.join("nats-server");
        fs::write(&plain, "#!/bin/sh\n").expect("write");
        fs::set_permissions(&plain, fs::Permissions::from_mode(0o644)).expect("chmod");

        let path_var = env::join_paths([&empty, &not_executable, &with_bin]).expect("join PATH");
        let (path, source) =
            find_binary(None, &missing_tools, Some(path_var)).expect("found on PATH");
        assert_eq!(path, bin);
        assert_eq!(source, BinarySource::Path);

        let path_var = env::join_paths([&empty, &not_executable]).expect("join PATH");
        let err = find_binary(None, &missing_tools, Some(path_var)).expect_err("not found");
        assert!(matches!(err, HarnessError::BinaryNotFound { .. }));
        let message = err.to_string();
        assert!(message.contains("scripts/install-nats-server"), "{message}");
        assert!(message.contains("NATS_SERVER_BIN"), "{message}");
        assert!(message.contains("2.10 or newer"), "{message}");
    }

    #[test]
    fn tools_path_is_under_the_workspace_root() {
        let path = tools_binary_path();
        assert!(
            path.ends_with(".tools/bin/nats-server"),
            "{}",
            path.display()
        );
        let root = path
            .ancestors()
            .nth(3)
            .expect("workspace root above .tools/bin/nats-server");
        assert!(root.join("Cargo.toml").is_file(), "{}", root.display());
        assert!(root.join("tests").join("Cargo.toml").is_file());
    }

    #[test]
    fn tails_logs() {
        assert_eq!(tail_lines("a\nb\nc\n", 2), "b\nc");
        assert_eq!(tail_lines("a\nb", 5), "a\nb");
        assert_eq!(tail_lines("", 5), "");
    }

    #[test]
    fn detects_port_conflicts() {
        let failed = |log_tail: &str| HarnessError::StartFailed {
            binary: PathBuf::from("nats-server"),
            port: 4222,
            reason: "the process exited with exit status: 1".to_owned(),
            log_path: PathBuf::from("nats-server.log"),
            log_tail: log_tail.to_owned(),
        };
        assert!(failed("[FTL] Error listening on port: 127.0.0.1:4222, \"listen tcp 127.0.0.1:4222: bind: address already in use\"").is_port_conflict());
        assert!(!failed("[FTL] something else").is_port_conflict());
    }
}
