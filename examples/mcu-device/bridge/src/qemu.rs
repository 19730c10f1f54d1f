//! QEMU's command line for the device.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::Path;

/// The firmware reads its command line into a buffer of this size, NUL included
/// (`firmware/src/config.rs`).
pub const CMDLINE_MAX: usize = 256;

/// The program name the firmware sees first on its command line.
pub const PROGRAM: &str = "mcu-device";

/// The firmware's semihosting command line: `mcu-device SERVER ENDPOINT LIFETIME`, each
/// argument one `arg=` of `-semihosting-config` (QEMU joins them with spaces for
/// `SYS_GET_CMDLINE`).
pub fn firmware_args(server: &str, endpoint: &str, lifetime: u32) -> Result<Vec<String>, String> {
    let args = vec![
        PROGRAM.to_string(),
        server.to_string(),
        endpoint.to_string(),
        lifetime.to_string(),
    ];
    let len: usize = args.iter().map(|a| a.len() + 1).sum();
    if len > CMDLINE_MAX {
        return Err(format!(
            "the firmware's command line would take {len} bytes, more than its {CMDLINE_MAX}"
        ));
    }
    Ok(args)
}

/// QEMU's arguments: the mps2-an386 board, no display or monitor, semihosting with `firmware`
/// as the program's arguments, UART0 connecting to `uart` (a TCP listener of the bridge), the
/// ELF as the kernel.
pub fn args(elf: &Path, firmware: &[String], uart: SocketAddr) -> Vec<OsString> {
    let mut semihosting = String::from("enable=on,target=native");
    for arg in firmware {
        semihosting.push_str(",arg=");
        // QEMU's option syntax: a comma inside a value is written twice.
        semihosting.push_str(&arg.replace(',', ",,"));
    }
    let mut args: Vec<OsString> = [
        "-cpu",
        "cortex-m4",
        "-machine",
        "mps2-an386",
        "-nographic",
        "-monitor",
        "none",
        "-semihosting-config",
    ]
    .iter()
    .map(OsString::from)
    .collect();
    args.push(semihosting.into());
    args.push("-serial".into());
    // nodelay: QEMU writes the device's bytes as they come; with Nagle on, each reply would
    // wait for the bridge's delayed ACK (40 ms).
    args.push(format!("tcp:{uart},nodelay=on").into());
    args.push("-kernel".into());
    args.push(elf.as_os_str().to_owned());
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line() {
        let firmware = firmware_args("coap://127.0.0.1:5683", "ep,1", 60).unwrap();
        let args = args(
            Path::new("/fw.elf"),
            &firmware,
            "127.0.0.1:4321".parse().unwrap(),
        );
        let args: Vec<_> = args.iter().map(|a| a.to_str().unwrap()).collect();
        assert_eq!(
            args,
            [
                "-cpu",
                "cortex-m4",
                "-machine",
                "mps2-an386",
                "-nographic",
                "-monitor",
                "none",
                "-semihosting-config",
                "enable=on,target=native,arg=mcu-device,arg=coap://127.0.0.1:5683,arg=ep,,1,arg=60",
                "-serial",
                "tcp:127.0.0.1:4321,nodelay=on",
                "-kernel",
                "/fw.elf",
            ]
        );
    }

    #[test]
    fn command_line_bound() {
        assert!(firmware_args("coap://[::1]:5683", &"e".repeat(200), 300).is_ok());
        assert!(firmware_args("coap://[::1]:5683", &"e".repeat(240), 300).is_err());
    }
}
