//! [`ResumingContext`]: the OpenSSL client context and the last session it negotiated, offered
//! again on the next handshake so that the server can resume it.
//!
//! A resumed DTLS 1.2 session (RFC 5246 §7.3, RFC 6347 §4.2.4: an "abbreviated handshake")
//! skips the key exchange: the client offers the session ID (or ticket, RFC 5077) of the last
//! session in its ClientHello; a server that still holds it answers ServerHello,
//! ChangeCipherSpec and Finished at once, and the client's ChangeCipherSpec and Finished
//! complete it: one round trip instead of two (after the cookie exchange, if the server asks
//! for one), no ServerHelloDone nor ClientKeyExchange. A
//! server that forgot the session (it restarted, or its cache expired) simply answers with a new
//! session ID and the full handshake follows, so offering an old session never fails a
//! handshake.
//!
//! The only `unsafe` code of the workspace's crates is here, on [`ResumingContext::new_ssl`]: OpenSSL's
//! `SSL_set_session` is the only way to offer a session on the client side, and the `openssl`
//! crate (0.10.82, the newest release) exposes it as the `unsafe` `SslRef::set_session`, with
//! no safe client-side alternative (rust-openssl issue #1041 asks for one and is open; the
//! context's session cache with `set_new_session_callback` only *stores* client sessions, and
//! `SslContextRef::add_session` is `unsafe` for the same reason). Its one safety requirement is
//! that the session was negotiated with the same `SslContext` as the `Ssl` it is set on; this
//! type owns the context and accepts a session only from an `Ssl` on that very context, so the
//! requirement holds by construction.

use crate::prelude::*;
use std::fmt;

use openssl::ssl::{Ssl, SslContext, SslRef, SslSession};

use super::DtlsError;

/// An OpenSSL client context together with the last session negotiated on it; see the
/// [module docs](self).
pub struct ResumingContext {
    context: SslContext,
    /// The last session a handshake on `context` established; only ever set by
    /// [`remember`](Self::remember), which checks that it came from `context`.
    last: Option<SslSession>,
}

impl ResumingContext {
    /// A context with no session to offer yet.
    pub fn new(context: SslContext) -> ResumingContext {
        ResumingContext {
            context,
            last: None,
        }
    }

    /// A new client `Ssl` on this context, offering the remembered session if there is one.
    // `SslRef::set_session` is the only client-side way to offer a session (see the module
    // docs); its requirement is met by construction, so the lint is lifted for this function.
    #[allow(unsafe_code)]
    pub fn new_ssl(&self) -> Result<Ssl, DtlsError> {
        let mut ssl = Ssl::new(&self.context)?;
        if let Some(session) = &self.last {
            // SAFETY: `set_session` requires the session to be associated with the same
            // `SslContext` as `ssl`. `ssl` was created on `self.context` just above, and
            // `self.last` is only ever assigned by `remember`, which stores the session of an
            // `Ssl` whose context is `self.context` (checked by address there; the transport
            // only runs `Ssl`s made here and never moves one to another context).
            // `self.context` is never replaced: the struct has no other constructor nor
            // setter, and no session callbacks or ex-data are registered on it.
            unsafe { ssl.set_session(session)? };
        }
        Ok(ssl)
    }

    /// Remembers the session `ssl` established, to offer on the next handshake. Ignored unless
    /// `ssl` runs on this very context (the invariant [`new_ssl`](Self::new_ssl) relies on).
    pub fn remember(&mut self, ssl: &SslRef) {
        // `SslContextRef` is the OpenSSL `SSL_CTX` itself: equal addresses, same context.
        if !std::ptr::eq(ssl.ssl_context(), &*self.context) {
            tracing::warn!("DTLS session of another context not remembered");
            return;
        }
        self.last = ssl.session().map(ToOwned::to_owned);
    }

    /// Drops the remembered session: the next handshake is a full one.
    pub fn forget(&mut self) {
        self.last = None;
    }

    /// Whether a session is remembered (the next handshake offers it).
    pub fn has_session(&self) -> bool {
        self.last.is_some()
    }
}

impl fmt::Debug for ResumingContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The session holds the master secret: only whether there is one is shown.
        f.debug_struct("ResumingContext")
            .field("has_session", &self.last.is_some())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use openssl::ssl::{ErrorCode, SslMethod, SslStream};

    use super::super::pipe::Pipe;
    use super::super::session::Session;
    use super::*;

    const KEY: [u8; 4] = [1, 2, 3, 4];

    fn client_context() -> SslContext {
        let mut builder = SslContext::builder(SslMethod::dtls_client()).unwrap();
        builder.set_cipher_list("PSK-AES128-CCM8").unwrap();
        builder.set_security_level(0);
        builder.set_psk_client_callback(|_, _, identity, key| {
            identity[..3].copy_from_slice(b"id\0");
            key[..KEY.len()].copy_from_slice(&KEY);
            Ok(KEY.len())
        });
        builder.build()
    }

    /// An OpenSSL DTLS server with a session cache (on by default for servers).
    fn server_context() -> SslContext {
        let mut builder = SslContext::builder(SslMethod::dtls_server()).unwrap();
        builder.set_cipher_list("PSK-AES128-CCM8").unwrap();
        builder.set_security_level(0);
        builder.set_session_id_context(b"test").unwrap();
        builder.set_psk_server_callback(|_, _, key| {
            key[..KEY.len()].copy_from_slice(&KEY);
            Ok(KEY.len())
        });
        builder.build()
    }

    /// Runs a handshake between `client` and a new server connection on `server` in memory,
    /// and returns the completed client session.
    fn handshake(client: &ResumingContext, server: &SslContext) -> Session {
        let peer = SocketAddr::from(([127, 0, 0, 1], 5684));
        let mut session = Session::new(client.new_ssl().unwrap(), peer, 1232).unwrap();
        let mut ssl = Ssl::new(server).unwrap();
        ssl.set_accept_state();
        let mut server = SslStream::new(ssl, Pipe::default()).unwrap();
        for _ in 0..10 {
            let client_done = session.handshake().unwrap();
            while let Some(datagram) = session.pop_outgoing() {
                server.get_mut().push_incoming(datagram);
            }
            let server_done = match server.do_handshake() {
                Ok(()) => true,
                Err(e) if e.code() == ErrorCode::WANT_READ => false,
                Err(e) => panic!("server: {e}"),
            };
            while let Some(datagram) = server.get_mut().pop_outgoing() {
                session.push(datagram);
            }
            if client_done && server_done {
                return session;
            }
        }
        panic!("no handshake in 10 rounds: {}", session.state());
    }

    #[test]
    fn the_remembered_session_is_resumed_by_a_server_that_still_holds_it() {
        let server = server_context();
        let mut client = ResumingContext::new(client_context());
        assert!(!client.has_session());
        let first = handshake(&client, &server);
        assert!(!first.resumed());
        client.remember(first.ssl());
        drop(first);
        assert!(client.has_session());

        let second = handshake(&client, &server);
        assert!(second.resumed(), "the offered session was not resumed");

        // A server that forgot it (a new one: another cache) makes a full handshake.
        client.remember(second.ssl());
        let third = handshake(&client, &server_context());
        assert!(!third.resumed());

        client.forget();
        let fourth = handshake(&client, &server);
        assert!(!fourth.resumed(), "a forgotten session was offered");
    }

    #[test]
    fn a_session_of_another_context_is_not_remembered() {
        let server = server_context();
        let other = ResumingContext::new(client_context());
        let foreign = handshake(&other, &server);
        let mut client = ResumingContext::new(client_context());
        client.remember(foreign.ssl());
        assert!(!client.has_session());
        assert!(!handshake(&client, &server).resumed());
    }
}
