//! A throwaway PostgreSQL server for the connection tests, beside the shared test server and
//! untouched by other tests: its own directory, free port, certificates (a test authority and a
//! certificate it issued for `localhost`) and access rules: TLS only; `postgres` trusted,
//! `meter` (password [`PASSWORD`]) by SCRAM. Started with the installed server's `initdb` and
//! `pg_ctl` (as the `postgres` user when the tests run as root: the server refuses root), and
//! stopped and deleted when dropped. Certificates come from the `openssl` command, which
//! Debian's PostgreSQL packages depend on.

use std::os::unix::fs::MetadataExt as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The password of the role `meter`.
pub const PASSWORD: &str = "right-password";

pub struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    /// The user and group the server runs as, when not the test's own.
    owner: Option<(u32, u32)>,
    pub port: u16,
}

impl Cluster {
    pub fn start() -> Cluster {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let owner = (std::fs::metadata("/proc/self").expect("/proc/self").uid() == 0).then(postgres_user);
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).expect("giving the directory to postgres");
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("port").port();
        let bin = testkit::installed_program("initdb")
            .and_then(|initdb| Some(initdb.parent()?.to_owned()))
            .expect("a PostgreSQL server installed under /usr/lib/postgresql (initdb, pg_ctl)");
        let cluster = Cluster { dir, bin, owner, port };
        cluster.certificates();
        let data = cluster.path("data");
        cluster.run(&cluster.bin.join("initdb"), &["-D", &data, "-U", "postgres", "--auth=trust", "-N", "-E", "UTF8"]);
        let conf = format!(
            "listen_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{dir}'\nssl = on\n\
             ssl_cert_file = '{dir}/server.crt'\nssl_key_file = '{dir}/server.key'\nfsync = off\nmax_connections = 20\n",
            dir = cluster.path("")
        );
        append(&cluster.path("data/postgresql.conf"), &conf);
        std::fs::write(
            cluster.path("data/pg_hba.conf"),
            "local all all trust\nhostnossl all all all reject\nhostssl all postgres all trust\n\
             hostssl all all all scram-sha-256\n",
        )
        .expect("writing pg_hba.conf");
        let log = cluster.path("server.log");
        cluster.run(&cluster.bin.join("pg_ctl"), &["-D", &data, "-l", &log, "-w", "-t", "60", "start"]);
        let role = format!("CREATE ROLE meter LOGIN PASSWORD '{PASSWORD}'");
        let port = port.to_string();
        cluster.run(
            &cluster.bin.join("psql"),
            &["-XqAt", "-h", &cluster.path(""), "-p", &port, "-U", "postgres", "-c", &role],
        );
        cluster
    }

    /// A file of the cluster's directory.
    pub fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// `postgres://USERINFO@HOST:PORT/postgres?QUERY`.
    pub fn url(&self, userinfo: &str, host: &str, query: &str) -> String {
        format!("postgres://{userinfo}@{host}:{}/postgres?{query}", self.port)
    }

    /// The test authority's certificate, PEM.
    pub fn authority(&self) -> String {
        self.path("ca.crt")
    }

    /// Another authority's certificate, which issued nothing the server shows.
    pub fn other_authority(&self) -> String {
        self.path("other.crt")
    }

    /// The authorities, and the server's key and certificate (for `localhost` only).
    fn certificates(&self) {
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
        for name in ["ca", "other"] {
            let (key, crt, subj) = (format!("{name}.key"), format!("{name}.crt"), format!("/CN=meter test {name}"));
            let mut args = vec!["req", "-x509", "-new", "-days", "2", "-subj", &subj, "-keyout", &key, "-out", &crt];
            args.extend(ec);
            args.extend(["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"]);
            self.openssl(&args);
        }
        let mut args = vec!["req", "-new", "-subj", "/CN=localhost", "-keyout", "server.key", "-out", "server.csr"];
        args.extend(ec);
        self.openssl(&args);
        std::fs::write(
            self.path("server.ext"),
            "subjectAltName=DNS:localhost\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
             extendedKeyUsage=serverAuth\n",
        )
        .expect("writing server.ext");
        self.openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "server.ext",
            "-out",
            "server.crt",
        ]);
        // The server reads its key only when no one else may.
        let key = self.path("server.key");
        std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o600)).expect("chmod");
        if let Some((uid, gid)) = self.owner {
            std::os::unix::fs::chown(&key, Some(uid), Some(gid)).expect("giving the key to postgres");
        }
    }

    fn openssl(&self, args: &[&str]) {
        let out = Command::new("openssl").args(args).current_dir(self.dir.path()).output();
        let out = out.expect("running openssl (installed with Debian's PostgreSQL packages)");
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// Runs a server program as the cluster's owner.
    fn run(&self, program: &Path, args: &[&str]) {
        let mut cmd = Command::new(program);
        cmd.args(args).current_dir(self.dir.path()).env("LC_ALL", "C").env_remove("PGPASSWORD");
        if let Some((uid, gid)) = self.owner {
            cmd.uid(uid).gid(gid);
        }
        let out = cmd.output().unwrap_or_else(|e| panic!("running {}: {e}", program.display()));
        assert!(
            out.status.success(),
            "{} {args:?}: {}{}",
            program.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let (pg_ctl, data) = (self.bin.join("pg_ctl"), self.path("data"));
        let mut cmd = Command::new(pg_ctl);
        cmd.args(["-D", &data, "-m", "immediate", "-w", "stop"]).current_dir(self.dir.path());
        if let Some((uid, gid)) = self.owner {
            cmd.uid(uid).gid(gid);
        }
        let _ = cmd.output();
    }
}

/// The uid and gid of the `postgres` user.
fn postgres_user() -> (u32, u32) {
    let passwd = std::fs::read_to_string("/etc/passwd").expect("/etc/passwd");
    passwd
        .lines()
        .find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            (fields.first() == Some(&"postgres")).then(|| (fields[2].parse().ok(), fields[3].parse().ok()))
        })
        .and_then(|(uid, gid)| Some((uid?, gid?)))
        .expect("a `postgres` user to run the throwaway server as (the tests run as root)")
}

fn append(path: &str, text: &str) {
    use std::io::Write as _;
    let mut file = std::fs::OpenOptions::new().append(true).open(path).expect("opening postgresql.conf");
    file.write_all(text.as_bytes()).expect("appending to postgresql.conf");
}
