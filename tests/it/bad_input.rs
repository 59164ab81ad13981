use drainsim::scenario::{self, NoFiles};

const BASE: &str = r#"horizon = "1h"
replications = 2

[pool]
servers = 4

[[feature]]
name = "im"
arrivals_per_hour = 100
duration = { distribution = "exponential", mean = "3m" }
"#;

fn show(label: &str, text: &str) {
    let r = std::panic::catch_unwind(|| scenario::parse(text, "test.toml", &NoFiles));
    match r {
        Ok(Ok(_)) => println!("== {label}: OK"),
        Ok(Err(e)) => println!("== {label}:\n{e}"),
        Err(_) => println!("== {label}: PANIC"),
    }
}

#[test]
fn probe() {
    let cases: Vec<(&str, String)> = vec![
        ("not toml", "this is not toml".into()),
        ("unknown top", format!("colour = 1\n{BASE}")),
        (
            "unknown pool",
            BASE.replace("servers = 4", "servers = 4\ncolour = 1"),
        ),
        (
            "unknown feature",
            BASE.replace(
                "arrivals_per_hour = 100",
                "arrivals_per_hour = 100\ncolour = 1",
            ),
        ),
        (
            "unknown dist",
            BASE.replace("mean = \"3m\"", "mean = \"3m\", colour = 1"),
        ),
        ("unknown dist kind", BASE.replace("exponential", "paretoo")),
        (
            "wrong type servers",
            BASE.replace("servers = 4", "servers = \"four\""),
        ),
        (
            "wrong type horizon",
            BASE.replace("horizon = \"1h\"", "horizon = 3600"),
        ),
        (
            "wrong type rate",
            BASE.replace("arrivals_per_hour = 100", "arrivals_per_hour = \"many\""),
        ),
        ("neg horizon", BASE.replace("\"1h\"", "\"-5s\"")),
        ("zero horizon", BASE.replace("\"1h\"", "\"0s\"")),
        ("huge horizon", BASE.replace("\"1h\"", "\"99999999d\"")),
        ("huge horizon2", BASE.replace("\"1h\"", "\"400d\"")),
        ("neg mean", BASE.replace("\"3m\"", "\"-5s\"")),
        ("zero mean", BASE.replace("\"3m\"", "\"0s\"")),
        ("huge mean", BASE.replace("\"3m\"", "\"99999999d\"")),
        (
            "step after horizon",
            format!("{BASE}\n[[step]]\nat = \"2h\"\naction = \"pause\"\nserver = 1\n"),
        ),
        (
            "server 0",
            format!("{BASE}\n[[step]]\nat = \"2m\"\naction = \"pause\"\nserver = 0\n"),
        ),
        (
            "server 5",
            format!("{BASE}\n[[step]]\nat = \"2m\"\naction = \"pause\"\nserver = 5\n"),
        ),
        (
            "unknown service",
            format!(
                "{BASE}\n[[step]]\nat = \"2m\"\naction = \"pause\"\nserver = 1\nservices = [\"RTCFOO\"]\n"
            ),
        ),
        (
            "no features",
            "horizon = \"1h\"\n[pool]\nservers = 4\n".into(),
        ),
        (
            "rate 0",
            BASE.replace("arrivals_per_hour = 100", "arrivals_per_hour = 0"),
        ),
        (
            "rate neg",
            BASE.replace("arrivals_per_hour = 100", "arrivals_per_hour = -3"),
        ),
        (
            "rate nan",
            BASE.replace("arrivals_per_hour = 100", "arrivals_per_hour = nan"),
        ),
        (
            "rate inf",
            BASE.replace("arrivals_per_hour = 100", "arrivals_per_hour = inf"),
        ),
        (
            "sigma 0",
            BASE.replace(
                "{ distribution = \"exponential\", mean = \"3m\" }",
                "{ distribution = \"lognormal\", median = \"3m\", sigma = 0 }",
            ),
        ),
        (
            "sigma nan",
            BASE.replace(
                "{ distribution = \"exponential\", mean = \"3m\" }",
                "{ distribution = \"lognormal\", median = \"3m\", sigma = nan }",
            ),
        ),
        (
            "sigma huge",
            BASE.replace(
                "{ distribution = \"exponential\", mean = \"3m\" }",
                "{ distribution = \"lognormal\", median = \"3m\", sigma = 1e10 }",
            ),
        ),
        (
            "min>max",
            BASE.replace(
                "{ distribution = \"exponential\", mean = \"3m\" }",
                "{ distribution = \"uniform\", min = \"5m\", max = \"1m\" }",
            ),
        ),
        (
            "both",
            BASE.replace(
                "{ distribution = \"exponential\", mean = \"3m\" }",
                "{ distribution = \"lognormal\", median = \"3m\", sigma = 1, mean = \"3m\" }",
            ),
        ),
        (
            "gamma shape 0",
            BASE.replace(
                "{ distribution = \"exponential\", mean = \"3m\" }",
                "{ distribution = \"gamma\", mean = \"3m\", shape = 0 }",
            ),
        ),
        (
            "gamma shape tiny",
            BASE.replace(
                "{ distribution = \"exponential\", mean = \"3m\" }",
                "{ distribution = \"gamma\", mean = \"3m\", shape = 1e-300 }",
            ),
        ),
        (
            "weibull shape tiny",
            BASE.replace(
                "{ distribution = \"exponential\", mean = \"3m\" }",
                "{ distribution = \"weibull\", scale = \"3m\", shape = 1e-3 }",
            ),
        ),
        (
            "empirical missing",
            BASE.replace(
                "{ distribution = \"exponential\", mean = \"3m\" }",
                "{ distribution = \"empirical\", file = \"d.csv\" }",
            ),
        ),
        (
            "unknown axis",
            format!("{BASE}\n[sweep]\ncolour = [1, 2]\n"),
        ),
        (
            "empty axis",
            format!("{BASE}\n[sweep]\nload_balancing = []\n"),
        ),
        (
            "replications 0",
            BASE.replace("replications = 2", "replications = 0"),
        ),
        (
            "replications neg",
            BASE.replace("replications = 2", "replications = -1"),
        ),
        (
            "replications huge",
            BASE.replace("replications = 2", "replications = 1000000"),
        ),
        (
            "absurd load",
            BASE.replace("arrivals_per_hour = 100", "arrivals_per_hour = 1e15"),
        ),
        (
            "absurd load 2",
            BASE.replace("arrivals_per_hour = 100", "arrivals_per_hour = 1e300")
                .replace("\"3m\"", "\"300d\""),
        ),
        (
            "budget",
            BASE.replace("replications = 2", "replications = 2\nevent_budget = 10"),
        ),
        (
            "budget neg",
            BASE.replace("replications = 2", "replications = 2\nevent_budget = -10"),
        ),
        (
            "seed neg",
            BASE.replace("replications = 2", "replications = 2\nseed = -10"),
        ),
    ];
    for (l, t) in &cases {
        show(l, t);
    }
}

#[test]
fn probe2() {
    let mut many = String::from(BASE);
    for i in 0..70 {
        many.push_str(&format!("\n[[feature]]\nname = \"f{i}\"\nservice = \"SVC{i}\"\narrivals_per_hour = 1\nduration = {{ distribution = \"exponential\", mean = \"3m\" }}\n"));
    }
    many.push_str(
        "\n[[step]]\nat = \"2m\"\naction = \"pause\"\nserver = 1\nservices = [\"SVC69\"]\n",
    );
    show("70 services", &many);
    show(
        "deep array",
        &format!("a = {}{}", "[".repeat(100000), "]".repeat(100000)),
    );
    show(
        "deep table",
        &format!("a = {}1{}", "{b = ".repeat(100000), "}".repeat(100000)),
    );
    show(
        "deep dotted",
        &format!("{} = 1", vec!["a"; 100000].join(".")),
    );
    let t = std::time::Instant::now();
    let big = format!(
        "{}\n[sweep]\nservers = [{}]\nwait = [{}]\n",
        BASE.replace("servers = 4", "servers = 1000")
            .replace("replications = 2", "replications = 1"),
        vec!["1000"; 100].join(","),
        vec!["\"1m\""; 100].join(",")
    );
    let big = big.replace(
        "[sweep]",
        "[[step]]\naction = \"wait\"\nduration = \"1m\"\n\n[sweep]",
    );
    show("big sweep", &big);
    println!("big sweep took {:?}", t.elapsed());
}
