//! What an emulator run serves: domains, credentials and the faults to inject.

/// Everything an emulator run serves; both platforms serve every domain from the same dataset.
#[derive(Clone, Debug)]
pub struct Config {
    /// Seed of the dataset: the same seed and domains give the same calls.
    pub seed: u64,
    /// The domains (customers) both platforms serve.
    pub domains: Vec<DomainSpec>,
    /// NetSapiens credentials and options.
    pub netsapiens: NetsapiensAuth,
    /// Brightlink credentials and options.
    pub brightlink: BrightlinkAuth,
    /// Faults injected into call-record page requests.
    pub faults: Vec<Fault>,
    /// Requests answered badly on purpose, every time (none in the demo).
    pub trap: Option<Trap>,
}

/// Requests a platform answers badly on purpose, to show what a client does with them: a
/// platform that moved (or an attacker's redirect), or a careless one that echoes requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trap {
    /// Which requests of both platforms are caught.
    pub on: Routes,
    /// What they are answered.
    pub reply: TrapReply,
}

/// The requests a [`Trap`] catches. The NetSapiens version probe is never caught.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Routes {
    /// The token routes: NetSapiens v2 `tokens`, v1 `oauth2/token/`, Brightlink `v1/oauth/token`.
    Tokens,
    /// Every other route: the requests that carry a bearer token.
    Data,
}

/// How a [`Trap`] answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrapReply {
    /// A redirect with this status (307 and 308 ask the client to send the same body again) to
    /// `location`.
    Redirect { status: u16, location: String },
    /// The platform's error body with this status, whose message echoes the request: its method,
    /// path and query, headers (`Authorization` included) and body.
    Echo { status: u16 },
}

/// One domain of the dataset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DomainSpec {
    /// Domain name, as the platforms know it.
    pub name: String,
    /// Call records per UTC day (hidden legs included).
    pub calls_per_day: u32,
    /// Phone numbers (DIDs) of the domain.
    pub numbers: u32,
    /// IANA-ish zone name; only reported, and used to shift business hours.
    pub time_zone: String,
}

/// NetSapiens credentials and platform options.
#[derive(Clone, Debug)]
pub struct NetsapiensAuth {
    /// OAuth client id.
    pub client_id: String,
    /// OAuth client secret.
    pub client_secret: String,
    /// User of the password grant.
    pub username: String,
    /// Password of the password grant.
    pub password: String,
    /// `nsd-…` API keys accepted as bearer tokens; they never expire.
    pub api_keys: Vec<String>,
    /// `false` emulates a platform without v2: every `/ns-api/v2/…` answers 404.
    pub v2: bool,
    /// Lifetime of access tokens in seconds.
    pub token_ttl_secs: u64,
}

/// Brightlink credentials and options.
#[derive(Clone, Debug)]
pub struct BrightlinkAuth {
    /// API key (HTTP Basic user of the token route).
    pub api_key: String,
    /// API secret (HTTP Basic password of the token route).
    pub api_secret: String,
    /// User of the password grant.
    pub username: String,
    /// Password of the password grant.
    pub password: String,
    /// Lifetime of access tokens in seconds.
    pub token_ttl_secs: u64,
}

/// What a fault does to the call-record page request it fires on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// 429 with `Retry-After`.
    RateLimit,
    /// 500 with a small body.
    ServerError,
    /// The right answer, held for `delay_ms`.
    Slow,
    /// 200 with the full `Content-Length`, but the connection closes after half the body.
    DropConnection,
    /// 200 with a complete body that is the JSON cut in half.
    TruncatedJson,
    /// 401 as if the token expired; the token presented is revoked.
    ExpiredToken,
    /// The page before the one asked for (the same page at offset 0).
    RepeatPage,
    /// NetSapiens: the first answered leg shown on the page ends 5 s before its answer. Brightlink's
    /// talk time is `billsec`: its `endTime` moves the same way, and nothing else.
    ReleaseBeforeAnswer,
    /// The first answered record shown on the page has a dialed number with no digit (a
    /// spreadsheet formula): NetSapiens `call-orig-request-user` / `orig_req_user`, Brightlink
    /// `toNumber`.
    GarbageNumber,
}

/// A fault injected once into a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    /// What happens.
    pub kind: FaultKind,
    /// Fires on the `at`-th (1-based) call-record page request of the run, both platforms counted together.
    pub at: u64,
    /// Slow: how long the answer is held; RateLimit: `Retry-After` = this in seconds, rounded up, at least 1.
    pub delay_ms: u64,
}

/// Demo NetSapiens OAuth client id.
pub const DEMO_NS_CLIENT_ID: &str = "meter-demo";
/// Demo NetSapiens OAuth client secret.
pub const DEMO_NS_CLIENT_SECRET: &str = "meter-demo-secret";
/// Demo NetSapiens user.
pub const DEMO_NS_USERNAME: &str = "meter@reseller.example.net";
/// Demo NetSapiens password.
pub const DEMO_NS_PASSWORD: &str = "meter-demo-password";
/// Demo NetSapiens v2 API key.
pub const DEMO_NS_API_KEY: &str = "nsd-meterdemo0123456789abcdef";
/// Demo Brightlink API key.
pub const DEMO_BL_API_KEY: &str = "meter-demo-key";
/// Demo Brightlink API secret.
pub const DEMO_BL_API_SECRET: &str = "meter-demo-secret";
/// Demo Brightlink user.
pub const DEMO_BL_USERNAME: &str = "meter-demo";
/// Demo Brightlink password.
pub const DEMO_BL_PASSWORD: &str = "meter-demo-password";

impl Default for NetsapiensAuth {
    fn default() -> Self {
        NetsapiensAuth {
            client_id: DEMO_NS_CLIENT_ID.into(),
            client_secret: DEMO_NS_CLIENT_SECRET.into(),
            username: DEMO_NS_USERNAME.into(),
            password: DEMO_NS_PASSWORD.into(),
            api_keys: vec![DEMO_NS_API_KEY.into()],
            v2: true,
            token_ttl_secs: 3600,
        }
    }
}

impl Default for BrightlinkAuth {
    fn default() -> Self {
        BrightlinkAuth {
            api_key: DEMO_BL_API_KEY.into(),
            api_secret: DEMO_BL_API_SECRET.into(),
            username: DEMO_BL_USERNAME.into(),
            password: DEMO_BL_PASSWORD.into(),
            token_ttl_secs: 300,
        }
    }
}

impl Config {
    /// The demo: demo credentials and the three example customers' domains, a few hundred calls a day each.
    pub fn demo(seed: u64) -> Config {
        Config {
            seed,
            domains: vec![
                DomainSpec::new("acmedental.ns.example.net", 300, 12, "US/Eastern"),
                DomainSpec::new("lonestarrealty.ns.example.net", 200, 8, "US/Central"),
                DomainSpec::new("thameslogistics.brightlink.example.com", 120, 6, "Europe/London"),
            ],
            netsapiens: NetsapiensAuth::default(),
            brightlink: BrightlinkAuth::default(),
            faults: Vec::new(),
            trap: None,
        }
    }
}

impl DomainSpec {
    /// A domain spec from its parts.
    pub fn new(name: &str, calls_per_day: u32, numbers: u32, time_zone: &str) -> DomainSpec {
        DomainSpec { name: name.into(), calls_per_day, numbers, time_zone: time_zone.into() }
    }
}
