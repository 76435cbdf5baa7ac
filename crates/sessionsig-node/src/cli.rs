//! Command-line arguments and entry points for `sessionsig node` and `sessionsig network up`
//! (used by the `sessionsig` CLI and by this crate's `sessionsig-node` binary).
//!
//! Both commands flatten the same [`CommonArgs`]: the configuration file and one flag per
//! key of it, declared once in [`crate::config::flags`]; `node` adds its own URL, listen
//! address and network list ([`NodeFlags`]), `network up` its node count and base port.
//!
//! Output contract: once serving, the node URL(s) are printed on stdout, one per line (after
//! every node answered `/healthz`); diagnostics go to stderr. Ctrl-C / SIGTERM stop serving
//! gracefully and exit 0. A configuration error exits 2, any other failure 1, each with
//! `error[<code>]: <message>` on stderr.

use crate::config::flags::{NodeFlags, SettingFlags};
use crate::config::NodeConfig;
use crate::error::{NodeError, Result};
use crate::network::{Network, NetworkOptions, DEFAULT_BASE_PORT};
use crate::server::{runtime, Node, ShutdownSignals};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// What `node` and `network up` both take: the configuration file, the acknowledgement
/// `--no-verify` needs, and a flag for every setting of the file
/// ([`SettingFlags`], declared once in its table).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct CommonArgs {
    /// TOML configuration file (flags override it). See the crate README for every key.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Acknowledge that `verify = false` / --no-verify makes /v1/authorize accept anything.
    #[arg(long)]
    pub insecure_no_verify: bool,
    /// Every setting of the configuration file, as a flag.
    #[command(flatten)]
    pub settings: SettingFlags,
}

impl CommonArgs {
    /// The configuration file (or the defaults) with every flag given written over it.
    fn load(&self) -> Result<NodeConfig> {
        let mut c = match &self.config {
            Some(p) => NodeConfig::from_file(p)?,
            None => NodeConfig::default(),
        };
        self.settings.overlay(&mut c)?;
        Ok(c)
    }
}

/// Arguments of `sessionsig node`.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct NodeArgs {
    /// This node's URL, listen address and network list.
    #[command(flatten)]
    pub node: NodeFlags,
    /// Configuration file and every shared setting.
    #[command(flatten)]
    pub common: CommonArgs,
}

impl NodeArgs {
    fn load(&self) -> Result<NodeConfig> {
        let mut c = self.common.load()?;
        self.node.overlay(&mut c)?;
        Ok(c)
    }
}

/// Arguments of `sessionsig network up`.
#[derive(clap::Args, Debug, Clone)]
pub struct NetworkUpArgs {
    /// Number of nodes.
    #[arg(long, default_value_t = 3)]
    pub nodes: usize,
    /// Port of the first node; node i listens on http://127.0.0.1:(BASE_PORT + i).
    #[arg(long, default_value_t = DEFAULT_BASE_PORT)]
    pub base_port: u16,
    /// Configuration file and every shared setting (applied to every node).
    #[command(flatten)]
    pub common: CommonArgs,
}

impl NetworkUpArgs {
    /// The network's options: the file and flags give every node's settings, including the
    /// shared data directory and store.
    fn options(&self) -> Result<NetworkOptions> {
        let base = self.common.load()?;
        Ok(NetworkOptions {
            nodes: self.nodes,
            base_port: self.base_port,
            data_dir: base.data_dir.clone(),
            store: base.store.as_ref().map(|s| s.expose().to_owned()),
            base,
            insecure_no_verify: self.common.insecure_no_verify,
        })
    }
}

/// The `network` subcommands.
#[derive(clap::Subcommand, Debug, Clone)]
pub enum NetworkCommand {
    /// Start N local nodes on a shared store and run them until Ctrl-C / SIGTERM.
    Up(Box<NetworkUpArgs>),
}

fn print_urls(urls: &[String]) {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for u in urls {
        let _ = writeln!(out, "{u}");
    }
    let _ = out.flush();
}

fn announce_contract_wallets(who: &str, description: Option<&str>) {
    if let Some(d) = description {
        eprintln!("{who}: contract-wallet AuthSigs (EIP1271) checked over JSON-RPC: {d}");
    }
}

/// Say which SIWE domains and chains AuthSigs are accepted for: the Lit-compatible default
/// (any) lets an AuthSig signed on one site for another be used here.
fn announce_siwe_policy(who: &str, c: &NodeConfig) {
    match &c.accepted_domains {
        Some(d) => eprintln!("{who}: AuthSigs accepted for SIWE domains {}", d.join(", ")),
        None => eprintln!(
            "{who}: note: AuthSigs are accepted for ANY SIWE domain (Lit-compatible default); \
             set accepted_domains to refuse SIWE messages signed for other sites"
        ),
    }
    match &c.accepted_chain_ids {
        Some(ids) => eprintln!(
            "{who}: AuthSigs accepted for SIWE chain ids {}",
            ids.iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None => eprintln!(
            "{who}: note: AuthSigs are accepted for ANY SIWE chain id (set accepted_chain_ids)"
        ),
    }
}

fn warn_no_verify(verify: bool) {
    if !verify {
        eprintln!(
            "sessionsig node: WARNING: --insecure-no-verify: /v1/authorize accepts ANY \
             SessionSig without verification, and /v1/backpack serves every request without \
             authentication. Load comparisons only."
        );
    }
}

/// Run `sessionsig node` in the foreground until Ctrl-C / SIGTERM.
pub fn run_node(a: NodeArgs) -> Result<ExitCode> {
    let c = a.load()?;
    let settings = c.resolve(a.common.insecure_no_verify)?;
    announce_siwe_policy("sessionsig node", &c);
    let rt = runtime(settings.worker_threads, settings.blocking_threads)?;
    rt.block_on(async move {
        let signals = ShutdownSignals::install()?;
        let verify = settings.verify;
        let url = settings.public_url.clone();
        let store = settings.store.to_string();
        let contract_wallets = settings.contract_wallets.as_ref().map(|c| c.describe());
        let node = Node::bind(settings).await?;
        let addr = node.local_addr()?;
        warn_no_verify(verify);
        let ready = async move {
            crate::network::wait_healthy(addr, std::time::Duration::from_secs(20)).await?;
            eprintln!("sessionsig node: {url} listening on {addr} (store {store})");
            announce_contract_wallets("sessionsig node", contract_wallets.as_deref());
            print_urls(std::slice::from_ref(&url));
            Ok::<(), NodeError>(())
        };
        let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
        let serve = node.serve(async move {
            let _ = stop_rx.wait_for(|s| *s).await;
        });
        tokio::pin!(serve);
        tokio::select! {
            r = &mut serve => return r,
            r = ready => r?,
        }
        tokio::select! {
            r = &mut serve => return r,
            _ = signals.wait() => {},
        }
        eprintln!("sessionsig node: shutting down (finishing in-flight requests)");
        let _ = stop_tx.send(true);
        serve.await
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Run `sessionsig network …`.
pub fn run_network(c: NetworkCommand) -> Result<ExitCode> {
    match c {
        NetworkCommand::Up(a) => run_network_up(*a),
    }
}

/// Run `sessionsig network up` in the foreground until Ctrl-C / SIGTERM.
pub fn run_network_up(a: NetworkUpArgs) -> Result<ExitCode> {
    let opts = a.options()?;
    let base = opts.base.clone();
    // One runtime for the whole process.
    let (workers, blocking) = base.threads();
    let rt = runtime(workers, blocking)?;
    rt.block_on(async move {
        let signals = ShutdownSignals::install()?;
        let verify = opts.base.verify.unwrap_or(true);
        let network = Network::bind(opts).await?;
        warn_no_verify(verify);
        announce_siwe_policy("sessionsig network", &base);
        let store = network.store_description().to_owned();
        let contract_wallets = network.contract_wallets_description().map(str::to_owned);
        let n = network.urls().len();
        network
            .serve(signals.wait(), |urls| {
                eprintln!(
                    "sessionsig network: {n} node(s) up on store {store}; Ctrl-C or SIGTERM stops them"
                );
                announce_contract_wallets("sessionsig network", contract_wallets.as_deref());
                print_urls(urls);
            })
            .await?;
        eprintln!("sessionsig network: stopped");
        Ok::<(), NodeError>(())
    })?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::flags::Setting;
    use clap::{CommandFactory, Parser};

    #[derive(Parser, Debug)]
    struct Args {
        #[command(flatten)]
        common: CommonArgs,
    }

    /// The two commands as the binaries declare them.
    #[derive(Parser, Debug)]
    enum Cli {
        Node(Box<NodeArgs>),
        #[command(subcommand)]
        Network(NetworkCommand),
    }

    fn parse(args: &[&str]) -> CommonArgs {
        Args::try_parse_from(std::iter::once("node").chain(args.iter().copied()))
            .unwrap()
            .common
    }

    fn parse_cli(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("sessionsig").chain(args.iter().copied())).unwrap()
    }

    #[test]
    fn node_and_network_up_take_the_same_setting_flags() {
        let cli = Cli::command();
        let node = cli.find_subcommand("node").unwrap();
        let up = cli
            .find_subcommand("network")
            .and_then(|n| n.find_subcommand("up"))
            .unwrap();
        let longs = |c: &clap::Command| -> Vec<String> {
            let mut v: Vec<String> = c
                .get_arguments()
                .filter_map(|a| a.get_long().map(str::to_owned))
                .collect();
            v.sort();
            v
        };
        let with = |settings: &[&[Setting]], own: &[&str]| {
            let mut v: Vec<String> = settings
                .iter()
                .flat_map(|s| s.iter().map(|s| s.flag.to_owned()))
                .chain(own.iter().map(|s| (*s).to_owned()))
                .collect();
            v.sort();
            v
        };
        let common = ["config", "insecure-no-verify"];
        assert_eq!(
            longs(node),
            with(&[NodeFlags::SETTINGS, SettingFlags::SETTINGS], &common)
        );
        assert_eq!(
            longs(up),
            with(
                &[SettingFlags::SETTINGS],
                &["nodes", "base-port", common[0], common[1]]
            )
        );
        // Each shared flag reads the same in both --help pages.
        let (node_help, up_help) = (
            node.clone().render_help().to_string(),
            up.clone().render_help().to_string(),
        );
        for s in SettingFlags::SETTINGS {
            let arg = |c: &clap::Command| {
                let a = c
                    .get_arguments()
                    .find(|a| a.get_long() == Some(s.flag))
                    .unwrap();
                (
                    a.get_help().map(|h| h.to_string()),
                    a.get_help_heading().map(str::to_owned),
                    a.get_value_names().map(<[_]>::to_vec),
                )
            };
            assert_eq!(arg(node), arg(up), "--{}", s.flag);
            assert!(arg(node).0.is_some(), "--{} has no help", s.flag);
            let shown = format!("--{}", s.flag);
            assert!(
                node_help.contains(&shown) && up_help.contains(&shown),
                "{shown}"
            );
        }
    }

    #[test]
    fn flags_override_the_file_and_leave_the_rest_alone() {
        let d = tempfile::tempdir().unwrap();
        let file = d.path().join("node.toml");
        std::fs::write(
            &file,
            "public_url = \"http://127.0.0.1:7470\"\nstore = \"sqlite:///file.db\"\n\
             skew_secs = 5\nnonce_ttl_secs = 30\naccepted_domains = [\"file.example\"]\n\
             network = [\"http://127.0.0.1:7471\"]\nverify = true\n\
             [limits]\nmax_body_bytes = 1000\nmax_headers = 10\n\
             [contract_wallets]\nmax_in_flight = 2\nclient_burst = 3\n\
             [backpack]\ns3_bucket = \"file\"\ns3_region = \"eu\"\n",
        )
        .unwrap();
        let file = file.display().to_string();
        let run = |flags: &[&str]| -> NodeConfig {
            let mut args = vec!["node", "--config", file.as_str()];
            args.extend_from_slice(flags);
            match parse_cli(&args) {
                Cli::Node(a) => a.load().unwrap(),
                Cli::Network(_) => unreachable!(),
            }
        };
        // The file alone.
        let c = run(&[]);
        assert_eq!(c.skew_secs, Some(5));
        assert_eq!(c.limits.max_body_bytes, 1000);
        assert_eq!(c.verify, Some(true));
        assert_eq!(c.backpack.enabled, None);
        // Each shape of flag: an optional key, a list, a switch, a `--no-…` switch, a plain
        // `[limits]` value, a section's key, a secret URL, a node-only list.
        let c = run(&[
            "--skew",
            "7",
            "--accepted-domain",
            "flag.example",
            "--trust-lit-bls",
            "--no-verify",
            "--no-backpack",
            "--max-body-bytes",
            "2000",
            "--contract-wallet-max-in-flight",
            "4",
            "--backpack-s3-bucket",
            "flag",
            "--store",
            "postgres://u:pw@db/x",
            "--network-node",
            "http://127.0.0.1:7472",
        ]);
        assert_eq!(c.skew_secs, Some(7));
        assert_eq!(c.accepted_domains, Some(vec!["flag.example".to_owned()]));
        assert_eq!(c.trust_lit_bls, Some(true));
        assert_eq!(c.verify, Some(false));
        assert_eq!(c.backpack.enabled, Some(false));
        assert_eq!(c.limits.max_body_bytes, 2000);
        assert_eq!(c.contract_wallets.max_in_flight, Some(4));
        assert_eq!(c.backpack.s3_bucket.as_deref(), Some("flag"));
        assert_eq!(
            c.store.as_ref().map(|s| s.expose()),
            Some("postgres://u:pw@db/x")
        );
        assert_eq!(c.network, ["http://127.0.0.1:7472"]);
        // What no flag named keeps the file's value.
        assert_eq!(c.nonce_ttl_secs, Some(30));
        assert_eq!(c.limits.max_headers, 10);
        assert_eq!(c.contract_wallets.client_burst, Some(3));
        assert_eq!(c.backpack.s3_region.as_deref(), Some("eu"));
        assert_eq!(c.public_url.as_deref(), Some("http://127.0.0.1:7470"));
    }

    #[test]
    fn network_up_takes_its_store_and_data_dir_from_the_file_and_flags() {
        let d = tempfile::tempdir().unwrap();
        let file = d.path().join("net.toml");
        std::fs::write(
            &file,
            "data_dir = \"/srv/net\"\nstore = \"memory:\"\nskew_secs = 9\n",
        )
        .unwrap();
        let file = file.display().to_string();
        let options = |flags: &[&str]| {
            let mut args = vec!["network", "up", "--nodes", "2", "--config", file.as_str()];
            args.extend_from_slice(flags);
            match parse_cli(&args) {
                Cli::Network(NetworkCommand::Up(a)) => a.options().unwrap(),
                Cli::Node(_) => unreachable!(),
            }
        };
        let o = options(&[]);
        assert_eq!(o.nodes, 2);
        assert_eq!(
            o.data_dir.as_deref(),
            Some(std::path::Path::new("/srv/net"))
        );
        assert_eq!(o.store.as_deref(), Some("memory:"));
        assert_eq!(o.base.skew_secs, Some(9));
        let o = options(&["--store", "sqlite:///tmp/x.db", "--data-dir", "/srv/other"]);
        assert_eq!(o.store.as_deref(), Some("sqlite:///tmp/x.db"));
        assert_eq!(
            o.data_dir.as_deref(),
            Some(std::path::Path::new("/srv/other"))
        );
    }

    #[test]
    fn parsed_arguments_print_no_secret() {
        let a = parse_cli(&[
            "node",
            "--store",
            "postgres://u:pw1@db/x?password=pw2",
            "--eth-rpc",
            "1=https://u:pw3@eth.example/v3/apikey4",
        ]);
        let shown = format!("{a:?}");
        for secret in ["pw1", "pw2", "pw3", "apikey4"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(
            shown.contains("db/x") && shown.contains("eth.example"),
            "{shown}"
        );
    }

    #[test]
    fn hardening_flags_reach_the_config() {
        let c = parse(&[
            "--accepted-domain",
            "app.example",
            "--accepted-domain",
            "https://wallet.example",
            "--accepted-chain-id",
            "1",
            "--max-session-auth-sig-lifetime",
            "3600",
            "--max-delegation-lifetime",
            "0",
            "--nonce-max-age",
            "600",
            "--network-nonce-for-delegations",
            "--max-concurrency-per-client",
            "7",
        ])
        .load()
        .unwrap();
        assert_eq!(
            c.accepted_domains.as_deref(),
            Some(
                &[
                    "app.example".to_owned(),
                    "https://wallet.example".to_owned()
                ][..]
            )
        );
        assert_eq!(c.accepted_chain_ids.as_deref(), Some(&[1][..]));
        assert_eq!(c.max_session_auth_sig_lifetime_secs, Some(3600));
        assert_eq!(c.max_delegation_lifetime_secs, Some(0));
        assert_eq!(c.nonce_max_age_secs, Some(600));
        assert_eq!(c.network_nonce_for_delegations, Some(true));
        assert_eq!(c.limits.max_concurrency_per_client, Some(7));
        // Without flags, nothing is set: the defaults of NodeConfig::resolve apply.
        let c = parse(&[]).load().unwrap();
        assert!(c.accepted_domains.is_none() && c.accepted_chain_ids.is_none());
    }

    #[test]
    fn contract_wallet_flags_override_the_config_file() {
        let d = tempfile::tempdir().unwrap();
        let file = d.path().join("node.toml");
        std::fs::write(
            &file,
            "public_url = \"http://127.0.0.1:7470\"\n[contract_wallets]\nrpc = { \"1\" = \"https://file.example/\", \"10\" = \"https://ten.example/\" }\ntimeout_ms = 3000\nrecheck_secs = 60\n",
        )
        .unwrap();
        let file = file.display().to_string();
        // The file alone.
        let c = parse(&["--config", &file]).load().unwrap();
        assert_eq!(c.contract_wallets.rpc.len(), 2);
        assert_eq!(c.contract_wallets.timeout_ms, Some(3000));
        assert_eq!(c.contract_wallets.recheck_secs, Some(60));
        // Repeated --eth-rpc: chain 1 replaced, 8453 added, 10 kept; the other two flags win.
        let c = parse(&[
            "--config",
            &file,
            "--eth-rpc",
            "1=http://127.0.0.1:8545",
            "--eth-rpc",
            "8453=https://base.example/",
            "--eth-rpc-timeout-ms",
            "1500",
            "--contract-wallet-recheck-secs",
            "0",
        ])
        .load()
        .unwrap();
        let rpc: Vec<(&str, &str)> = c
            .contract_wallets
            .rpc
            .iter()
            .map(|(k, v)| (k.as_str(), v.expose()))
            .collect();
        assert_eq!(
            rpc,
            [
                ("1", "http://127.0.0.1:8545"),
                ("10", "https://ten.example/"),
                ("8453", "https://base.example/"),
            ]
        );
        let mut c = c;
        c.data_dir = Some(d.path().to_owned());
        let s = c.resolve(false).unwrap();
        let cw = s.contract_wallets.unwrap();
        assert_eq!(cw.endpoints.len(), 3);
        assert_eq!(cw.timeout, std::time::Duration::from_millis(1500));
        assert_eq!(s.policy.contract_wallet_recheck, time::Duration::ZERO);
        // A malformed flag is a configuration error (exit 2), its secret not repeated.
        let e = parse(&["--eth-rpc", "https://u:s3cret@eth.example/"])
            .load()
            .unwrap_err();
        assert_eq!((e.code(), e.exit_code()), ("invalid_config", 2));
        assert!(!e.to_string().contains("s3cret"), "{e}");
    }
}
