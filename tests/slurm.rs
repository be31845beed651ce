//! `pimforge sweep --slurm` through a real Slurm: Debian's slurmctld, slurmd and munge
//! (installed when missing, with sudo when not root), a one-node cluster on this machine from a
//! generated slurm.conf (every file, socket and port of its own, so nothing of the machine's is
//! touched), the small sweep submitted as a job array, and the collected table compared with a
//! local run's.

use crate::common;

use common::{sweep_rows as rows, SMALL_SWEEP as SMALL};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Installs Slurm's controller, node daemon, client and munge from Debian's packages.
fn install_slurm() {
    if [
        "slurmctld",
        "slurmd",
        "sbatch",
        "squeue",
        "munged",
        "mungekey",
    ]
    .iter()
    .all(|t| have(t))
    {
        return;
    }
    let root = Command::new("id").arg("-u").output().unwrap().stdout == b"0\n";
    let run = |args: &[&str]| {
        let st = Command::new(if root { args[0] } else { "sudo" })
            .args(if root { &args[1..] } else { args })
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .unwrap();
        assert!(st.success(), "{args:?} failed (root or sudo needed)");
    };
    run(&["apt-get", "update", "-qq"]);
    run(&[
        "apt-get",
        "install",
        "-y",
        "-qq",
        "slurmctld",
        "slurmd",
        "slurm-client",
        "munge",
    ]);
}

/// A port nobody listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A one-node cluster in `dir`: munged, slurmctld and slurmd, stopped when dropped.
struct Cluster {
    dir: PathBuf,
    conf: PathBuf,
}

impl Cluster {
    fn start(dir: &Path) -> Cluster {
        let host = String::from_utf8(Command::new("hostname").output().unwrap().stdout)
            .unwrap()
            .trim()
            .to_string();
        for d in ["state", "spool", "logs"] {
            std::fs::create_dir_all(dir.join(d)).unwrap();
        }
        let p = |f: &str| dir.join(f).display().to_string();
        let key = p("munge.key");
        assert!(Command::new("mungekey")
            .args(["-c", "-k", &key])
            .status()
            .unwrap()
            .success());
        let sock = p("munge.sock");
        let munged = Command::new("munged")
            .args([
                "-f",
                &format!("--socket={sock}"),
                &format!("--key-file={key}"),
            ])
            .arg(format!("--log-file={}", p("logs/munged.log")))
            .arg(format!("--pid-file={}", p("munged.pid")))
            .arg(format!("--seed-file={}", p("munged.seed")))
            .status()
            .unwrap();
        assert!(munged.success(), "munged did not start");
        let conf = dir.join("slurm.conf");
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        std::fs::write(
            &conf,
            format!(
                "ClusterName=pimforge\nSlurmctldHost={host}(127.0.0.1)\nSlurmctldPort={}\nSlurmdPort={}\n\
                 AuthType=auth/munge\nAuthInfo=socket={sock}\nCredType=cred/munge\nSlurmUser=root\nSlurmdUser=root\n\
                 StateSaveLocation={}\nSlurmdSpoolDir={}\nSlurmctldPidFile={}\nSlurmdPidFile={}\n\
                 SlurmctldLogFile={}\nSlurmdLogFile={}\nProctrackType=proctrack/pgid\nTaskPlugin=task/none\n\
                 SchedulerType=sched/builtin\nSelectType=select/cons_tres\nSelectTypeParameters=CR_CPU\n\
                 JobCompType=jobcomp/none\nAccountingStorageType=accounting_storage/none\n\
                 JobAcctGatherType=jobacct_gather/none\nMpiDefault=none\nReturnToService=2\n\
                 NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory=1000 State=UNKNOWN\n\
                 PartitionName=debug Nodes={host} Default=YES MaxTime=INFINITE State=UP\n",
                free_port(),
                free_port(),
                p("state"),
                p("spool"),
                p("slurmctld.pid"),
                p("slurmd.pid"),
                p("logs/slurmctld.log"),
                p("logs/slurmd.log"),
            ),
        )
        .unwrap();
        let cluster = Cluster {
            dir: dir.to_path_buf(),
            conf,
        };
        assert!(cluster
            .cmd("slurmctld")
            .arg("-c")
            .status()
            .unwrap()
            .success());
        assert!(cluster
            .cmd("slurmd")
            .args(["-N", &host])
            .status()
            .unwrap()
            .success());
        // Up when the node is idle.
        let t0 = Instant::now();
        loop {
            let o = cluster
                .cmd("sinfo")
                .args(["-h", "-o", "%t"])
                .output()
                .unwrap();
            if String::from_utf8_lossy(&o.stdout).trim() == "idle" {
                break;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(60),
                "the node never came up: {}",
                cluster.logs()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        cluster
    }

    /// `tool` with this cluster's configuration.
    fn cmd(&self, tool: &str) -> Command {
        let mut c = Command::new(tool);
        c.env("SLURM_CONF", &self.conf);
        c
    }

    fn logs(&self) -> String {
        ["slurmctld.log", "slurmd.log"]
            .iter()
            .map(|f| std::fs::read_to_string(self.dir.join("logs").join(f)).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Waits until job `id` has left the queue.
    fn wait(&self, id: &str, limit: Duration) {
        let t0 = Instant::now();
        loop {
            let o = self.cmd("squeue").args(["-h", "-j", id]).output().unwrap();
            if o.status.success() && o.stdout.is_empty() {
                return;
            }
            assert!(
                t0.elapsed() < limit,
                "job {id} still queued: {}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.cmd("scontrol").arg("shutdown").status();
        for pid in ["slurmd.pid", "slurmctld.pid", "munged.pid"] {
            if let Ok(p) = std::fs::read_to_string(self.dir.join(pid)) {
                let _ = Command::new("kill").arg(p.trim()).status();
            }
        }
    }
}

#[test]
fn a_sweep_through_a_slurm_job_array_collects_the_local_runs_table() {
    install_slurm();
    let tmp = tempfile::tempdir().unwrap();
    let cluster = Cluster::start(&tmp.path().join("slurm"));
    let file = tmp.path().join("small.yaml");
    std::fs::write(&file, SMALL).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("pimforge");
    let sweep = |out: &str, extra: &[&str]| {
        let o = cluster
            .cmd(bin.to_str().unwrap())
            .arg("sweep")
            .arg(&file)
            .arg("--out")
            .arg(tmp.path().join(out))
            .args(extra)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        assert!(
            o.status.success(),
            "{text}{}",
            String::from_utf8_lossy(&o.stderr)
        );
        text
    };
    let submitted = sweep("slurm-out", &["--slurm"]);
    let job = submitted
        .split("submitted Slurm job ")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .unwrap_or_else(|| panic!("{submitted}"))
        .to_string();
    cluster.wait(&job, Duration::from_secs(150));
    let logs = std::fs::read_dir(tmp.path().join("slurm-out/slurm"))
        .unwrap()
        .count();
    assert_eq!(logs, 8, "a log per array task");
    let collected = sweep("slurm-out", &["--collect"]);
    assert!(
        collected.contains("8 of 8 points with a complete report"),
        "{collected}\n{}",
        cluster.logs()
    );
    let local = sweep("local-out", &["--jobs", "2"]);
    assert_eq!(rows(&collected), rows(&local));
    assert_eq!(rows(&local).len(), 8);
}
