//! The command line as a user meets it: `--help`, `-h` and `--version` print what clap printed
//! for the demo (`fixtures/help-*.txt`, captured from the clap build at 5fcbc61) and exit 0;
//! usage errors go to stderr with exit code 2.

use std::process::{Command, Output};

/// Runs the demo with `args`.
fn demo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_demo-client"))
        .args(args)
        .output()
        .expect("demo-client runs")
}

/// The output of a run that printed to stdout and exited 0.
fn printed(args: &[&str]) -> String {
    let out = demo(args);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {out:?}");
    assert!(out.stderr.is_empty(), "{args:?}: {out:?}");
    String::from_utf8(out.stdout).expect("UTF-8 help")
}

#[test]
fn help_is_clap_s_byte_for_byte() {
    let long = include_str!("fixtures/help-long.txt");
    let short = include_str!("fixtures/help-short.txt");
    assert_eq!(printed(&["--help"]), long);
    assert_eq!(
        printed(&["--server", "coap://h", "--help", "--bogus"]),
        long
    );
    assert_eq!(printed(&["-h"]), short);
    assert_eq!(printed(&["--version"]), "demo-client 0.1.0\n");
    assert_eq!(printed(&["-V"]), "demo-client 0.1.0\n");
}

#[test]
fn usage_errors_exit_2_on_stderr() {
    for (args, says) in [
        (
            &[][..],
            "error: the following required arguments were not provided:\n  --server <URI>\n  \
             --endpoint <NAME>\n\nUsage: demo-client --server <URI> --endpoint <NAME>\n\nFor more \
             information, try '--help'.\n",
        ),
        (
            &["--server", "coap://h", "--endpoint", "e", "--lifetime", "0"],
            "error: invalid value '0' for '--lifetime <SECS>': 0 is not in 1..=4294967295\n\nFor \
             more information, try '--help'.\n",
        ),
        (
            &["--server", "coap://h", "--endpoint", "e", "--bogus"],
            "error: unexpected argument '--bogus' found\n\nUsage: demo-client [OPTIONS] --server \
             <URI> --endpoint <NAME>\n\nFor more information, try '--help'.\n",
        ),
    ] {
        let out = demo(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        assert!(out.stdout.is_empty(), "{args:?}: {out:?}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), says, "{args:?}");
    }
}
