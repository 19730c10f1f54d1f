//! Pull: after a Write of Package URI (`/5/0/1`) the client downloads the package itself with
//! a block-wise `GET` (RFC 7959 Block2), block after block, each a confirmable request of the
//! exchange layer (retransmitted as any other), each block written to the sink as it arrives.
//!
//! - The URI: `coap://host[:port]/path?query`, host an IP literal or `localhost` (the sans-I/O
//!   client resolves no names). A URI that cannot be parsed, or names another host, ends with
//!   Update Result 7 (invalid URI); `http`, `https` and other schemes with 9 (unsupported
//!   protocol). The Write itself is answered 2.04 either way (ETS int-778).
//! - `coaps://host:port/...` is downloaded when it names one of the client's servers whose
//!   account is itself `coaps://`: the transport already secures every datagram to that
//!   address (one DTLS session per server, with the account's credentials), so the download
//!   shares the server's session. A `coaps://` URI of any other host ends with Update Result 9:
//!   the client has no credentials for it.
//! - **Resume**: a block left unanswered (the retransmissions given up, an RST, or an empty
//!   ACK whose separate response has not come within `MAX_TRANSMIT_WAIT`) is asked for again
//!   after a pause that doubles, from the last good block on, up to [`MAX_ATTEMPTS`] times in a
//!   row; then the download ends with Update Result 4 (connection lost). A block taken resets
//!   the count.
//! - A 4.xx answer ends it with Update Result 7 (the URI names nothing there); a 5.xx answer
//!   counts as a failed attempt. A changed ETag between blocks means the file changed under the
//!   download: it starts over from block 0 (also a failed attempt, so a file changing all the
//!   time ends the download). Size2 of the first block tells the sink the package's size.

use crate::prelude::*;
use crate::time::Instant;
use core::net::{IpAddr, Ipv4Addr, SocketAddr};
use core::time::Duration;

use coap_lite::{CoapOption, MessageClass, RequestType, ResponseType};

use crate::coap::block::{self, BlockOption};
use crate::coap::message::RequestBuilder;
use crate::coap::{MessageRef, ReadMessage, options};
use crate::firmware::UpdateResult;
use crate::uri::DEFAULT_PORT;

use super::super::Failure;
use super::super::engine::Engine;
use super::super::exchange::Kind;
use super::super::message;
use super::super::session;
use super::{Transfer, UpdateState};

/// Failed attempts in a row (without a block taken) before the download is given up.
pub(super) const MAX_ATTEMPTS: u32 = 4;

/// A download in progress.
#[derive(Debug)]
pub(in crate::client) struct Download {
    target: Target,
    /// Bytes written to the sink.
    received: usize,
    /// The block size asked for (SZX; lowered when the server answers with smaller blocks).
    szx: u8,
    /// Whether the sink was told the package begins.
    begun: bool,
    /// The ETag of the first block.
    etag: Option<Vec<u8>>,
    /// Failed attempts in a row.
    failures: u32,
    /// When to ask again after a failed attempt.
    retry_at: Option<Instant>,
    /// When a request in flight is given up if its (separate) response never comes.
    answer_by: Option<Instant>,
}

impl Download {
    /// When the download needs the clock next.
    pub(super) fn deadline(&self) -> Option<Instant> {
        match (self.retry_at, self.answer_by) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// Where a package is downloaded from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Target {
    /// The file server.
    pub peer: SocketAddr,
    /// Whether the URI is `coaps://`.
    pub secure: bool,
    /// Uri-Path segments, percent-decoded.
    pub path: Vec<String>,
    /// Uri-Query arguments, percent-decoded.
    pub query: Vec<String>,
}

/// Why a Package URI cannot be downloaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum UriProblem {
    /// Malformed, or a host the client cannot reach without a name lookup (Update Result 7).
    Invalid,
    /// A well-formed URI of another scheme than `coap` (Update Result 9).
    UnsupportedProtocol,
}

impl UriProblem {
    fn update_result(self) -> UpdateResult {
        match self {
            UriProblem::Invalid => UpdateResult::InvalidUri,
            UriProblem::UnsupportedProtocol => UpdateResult::UnsupportedProtocol,
        }
    }
}

/// Parses a Package URI (see the [module documentation](self)).
pub(super) fn parse(uri: &str) -> Result<Target, UriProblem> {
    use UriProblem::{Invalid, UnsupportedProtocol};
    if uri.bytes().any(|b| b <= b' ' || b >= 0x7f) {
        return Err(Invalid);
    }
    let (scheme, rest) = uri.split_once("://").ok_or(Invalid)?;
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok {
        return Err(Invalid);
    }
    let secure = scheme.eq_ignore_ascii_case("coaps");
    if !secure && !scheme.eq_ignore_ascii_case("coap") {
        return Err(UnsupportedProtocol);
    }
    let rest = rest.split('#').next().unwrap_or_default();
    let (authority, path_and_query) = match rest.find(['/', '?']) {
        Some(at) => rest.split_at(at),
        None => (rest, ""),
    };
    let (path, query) = match path_and_query.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (path_and_query, None),
    };
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (host, after) = bracketed.split_once(']').ok_or(Invalid)?;
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':').ok_or(Invalid)?)),
        }
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let ip: IpAddr = if host.eq_ignore_ascii_case("localhost") {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        host.parse().map_err(|_| Invalid)?
    };
    let port = match port {
        None | Some("") => None,
        Some(text) => Some(
            text.parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or(Invalid)?,
        ),
    };
    let path = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect::<Result<Vec<_>, _>>()?;
    let query = match query {
        None | Some("") => Vec::new(),
        Some(query) => query
            .split('&')
            .map(percent_decode)
            .collect::<Result<Vec<_>, _>>()?,
    };
    let default_port = if secure {
        DEFAULT_PORT + 1
    } else {
        DEFAULT_PORT
    };
    Ok(Target {
        peer: SocketAddr::new(ip, port.unwrap_or(default_port)),
        secure,
        path,
        query,
    })
}

/// `%xx` escapes decoded (RFC 3986 §2.1); the result must be UTF-8, as CoAP options are.
fn percent_decode(segment: &str) -> Result<String, UriProblem> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut k = 0;
    while let Some(&b) = bytes.get(k) {
        if b == b'%' {
            let hex = bytes.get(k + 1..k + 3).ok_or(UriProblem::Invalid)?;
            let text = core::str::from_utf8(hex).map_err(|_| UriProblem::Invalid)?;
            out.push(u8::from_str_radix(text, 16).map_err(|_| UriProblem::Invalid)?);
            k += 3;
        } else {
            out.push(b);
            k += 1;
        }
    }
    String::from_utf8(out).map_err(|_| UriProblem::Invalid)
}

impl Engine {
    /// A Write of Package URI: see the [module documentation](self).
    pub(in crate::client) fn write_package_uri(
        &mut self,
        now: Instant,
        uri: String,
    ) -> super::Reply {
        use super::Reply;
        if self.firmware.is_some() && uri.is_empty() {
            self.forget_download();
        }
        let szx = block::szx_for_size(self.block_size()).unwrap_or(6);
        let secure_servers = self.secure_servers();
        let Some(firmware) = self.firmware.as_mut() else {
            return Reply::code(ResponseType::NotFound);
        };
        if uri.is_empty() {
            firmware.reset(UpdateResult::Initial);
            firmware.uri = uri;
            return Reply::code(ResponseType::Changed);
        }
        if !firmware.pulls() || firmware.state != UpdateState::Idle {
            return Reply::code(ResponseType::MethodNotAllowed);
        }
        if uri.len() > 255 {
            return Reply::code(ResponseType::BadRequest);
        }
        let parsed = parse(&uri).and_then(|target| {
            if target.secure && !secure_servers.contains(&target.peer) {
                Err(UriProblem::UnsupportedProtocol)
            } else {
                Ok(target)
            }
        });
        firmware.uri = uri;
        match parsed {
            Err(problem) => {
                tracing::warn!(uri = %firmware.uri, ?problem, "firmware: Package URI refused");
                firmware.reset(problem.update_result());
            }
            Ok(target) => {
                firmware.start(Transfer::Pull(Download {
                    target,
                    received: 0,
                    szx,
                    begun: false,
                    etag: None,
                    failures: 0,
                    retry_at: None,
                    answer_by: None,
                }));
                self.request_block(now);
            }
        }
        Reply::code(ResponseType::Changed)
    }

    /// The addresses of the servers whose accounts are `coaps://` (the transport secures what
    /// goes to them).
    pub(in crate::client) fn secure_servers(&mut self) -> Vec<SocketAddr> {
        let secure: Vec<Option<u16>> = session::accounts(&mut self.store)
            .into_iter()
            .filter(|a| {
                a.uri
                    .get(..8)
                    .is_some_and(|scheme| scheme.eq_ignore_ascii_case("coaps://"))
            })
            .map(|a| a.short_server_id)
            .collect();
        self.sessions
            .iter()
            .filter(|s| secure.contains(&s.short_server_id))
            .map(|s| s.address)
            .collect()
    }

    /// The download in progress.
    fn download_mut(&mut self) -> Option<&mut Download> {
        match &mut self.firmware.as_mut()?.transfer {
            Transfer::Pull(download) => Some(download),
            _ => None,
        }
    }

    /// Asks for the block after the last good one.
    fn request_block(&mut self, now: Instant) {
        // A block's answer comes within MAX_TRANSMIT_WAIT, or as a separate response after an
        // empty ACK; one that has not come by then is asked for again.
        let wait = self.config.transmission.max_transmit_wait();
        let Some(download) = self.download_mut() else {
            return;
        };
        download.retry_at = None;
        download.answer_by = Some(now + wait);
        let size = 16usize << download.szx;
        let num = u32::try_from(download.received / size).unwrap_or(u32::MAX);
        let target = download.target.clone();
        let szx = download.szx;
        let mut builder = RequestBuilder::new(RequestType::Get, 0, &[]).path(&target.path);
        for argument in &target.query {
            builder = builder.option(CoapOption::UriQuery, argument.clone().into_bytes());
        }
        let built = match BlockOption::with_szx(num, false, szx) {
            Ok(option) => builder.block2(option).build_message(),
            Err(_) => {
                self.end_download(UpdateResult::InvalidUri);
                return;
            }
        };
        self.send_built(now, target.peer, built, Kind::Download);
    }

    /// Ends the download with `result` (Idle), dropping what the sink took.
    fn end_download(&mut self, result: UpdateResult) {
        if let Some(firmware) = self.firmware.as_mut() {
            firmware.reset(result);
        }
    }

    /// Drops the download's exchange in flight, if a download is going on.
    pub(in crate::client) fn forget_download(&mut self) {
        let peer = match self.firmware.as_ref().map(|f| &f.transfer) {
            Some(Transfer::Pull(download)) => download.target.peer,
            _ => return,
        };
        self.exchanges
            .forget(peer, |kind| matches!(kind, Kind::Download));
    }

    /// The answer to a block's request.
    pub(in crate::client) fn download_response(&mut self, now: Instant, packet: &MessageRef<'_>) {
        self.take_block(now, packet);
        self.publish_firmware(now);
    }

    fn take_block(&mut self, now: Instant, packet: &MessageRef<'_>) {
        let code = packet.code();
        if code != MessageClass::Response(ResponseType::Content) {
            tracing::warn!(code = %super::super::ResponseCode::from(code), "firmware download refused");
            if message::is_success(code) || u8::from(code) >> 5 == 4 {
                self.end_download(UpdateResult::InvalidUri);
            } else {
                self.attempt_failed(now);
            }
            return;
        }
        let block = match block::block2(packet) {
            Ok(block) => block,
            Err(_) => return self.attempt_failed(now),
        };
        let etag = packet.first_option(CoapOption::ETag).map(<[u8]>::to_vec);
        let size2 = options::uint(packet, CoapOption::Size2).ok().flatten();
        let Some(firmware) = self.firmware.as_mut() else {
            return;
        };
        let Transfer::Pull(download) = &mut firmware.transfer else {
            return;
        };
        download.answer_by = None;
        let payload = packet.payload();
        let (offset, more) = match block {
            Some(block) => (block.offset(), block.more()),
            None => (0, false),
        };
        if offset != download.received {
            return self.attempt_failed(now);
        }
        if download.received > 0 && etag != download.etag {
            // The file changed under the download: from block 0 again.
            tracing::warn!("firmware download: the ETag changed; starting over");
            download.received = 0;
            download.etag = None;
            if download.begun {
                download.begun = false;
                firmware.sink.abort();
            }
            return self.attempt_failed(now);
        }
        if !download.begun {
            download.begun = true;
            download.etag = etag;
            if let Err(e) = firmware.sink.begin(size2) {
                firmware.fail(e);
                return;
            }
        }
        if let Err(e) = firmware.sink.write(payload) {
            firmware.fail(e);
            return;
        }
        download.received += payload.len();
        download.failures = 0;
        if let Some(block) = block {
            download.szx = download.szx.min(block.szx());
        }
        if more {
            self.request_block(now);
        } else {
            firmware.finish();
        }
    }

    /// The download's request ended without a usable answer.
    pub(in crate::client) fn download_failed(&mut self, now: Instant, reason: Failure) {
        match reason {
            Failure::Unencodable | Failure::BadServerUri => {
                self.end_download(UpdateResult::InvalidUri)
            }
            _ => self.attempt_failed(now),
        }
        self.publish_firmware(now);
    }

    /// One more failed attempt: ask again after a pause, or give up (Update Result 4).
    fn attempt_failed(&mut self, now: Instant) {
        let pause = self.config.transmission.ack_timeout;
        let Some(download) = self.download_mut() else {
            return;
        };
        download.answer_by = None;
        download.failures += 1;
        if download.failures >= MAX_ATTEMPTS {
            tracing::warn!("firmware download: no answer; connection lost");
            self.end_download(UpdateResult::ConnectionLost);
            return;
        }
        let factor = 1u32 << download.failures.min(6);
        download.retry_at = Some(now + pause.saturating_mul(factor).max(Duration::from_millis(1)));
    }

    /// A download's retry or unanswered request is due.
    pub(super) fn download_timeout(&mut self, now: Instant) {
        let Some(download) = self.download_mut() else {
            return;
        };
        if download.answer_by.is_some_and(|at| at <= now) {
            self.forget_download();
            self.attempt_failed(now);
        } else if download.retry_at.is_some_and(|at| at <= now) {
            self.request_block(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(uri: &str) -> Target {
        parse(uri).unwrap()
    }

    #[test]
    fn a_coap_uri_gives_the_peer_path_and_query() {
        let t = target("coap://127.0.0.1:5700/fw/image%20v2.bin?version=2&x");
        assert_eq!(t.peer, "127.0.0.1:5700".parse().unwrap());
        assert_eq!(t.path, ["fw", "image v2.bin"]);
        assert_eq!(t.query, ["version=2", "x"]);
        let t = target("COAP://[::1]/a#fragment");
        assert_eq!(t.peer, "[::1]:5683".parse().unwrap());
        assert_eq!(t.path, ["a"]);
        assert_eq!(
            target("coap://localhost:1").peer,
            "127.0.0.1:1".parse().unwrap()
        );
    }

    #[test]
    fn other_schemes_are_unsupported_and_broken_uris_invalid() {
        let secure = target("coaps://127.0.0.1/fw");
        assert!(secure.secure);
        assert_eq!(secure.peer, "127.0.0.1:5684".parse().unwrap());
        for uri in [
            "coap+tcp://127.0.0.1/fw",
            "http://127.0.0.1/fw",
            "https://x/y",
            "ftp://a/b",
        ] {
            assert_eq!(parse(uri), Err(UriProblem::UnsupportedProtocol), "{uri}");
        }
        for uri in [
            "",
            "not a uri",
            "coap:/127.0.0.1/fw",
            "coap://",
            "coap://127.0.0.1:0/fw",
            "coap://127.0.0.1:99999/fw",
            "coap://[::1/fw",
            "coap://example.org/fw",
            "coap://127.0.0.1/%zz",
            "coap://127.0.0.1/%ff",
            "1coap://127.0.0.1/",
        ] {
            assert_eq!(parse(uri), Err(UriProblem::Invalid), "{uri}");
        }
    }
}
