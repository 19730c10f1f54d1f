//! [`Pipe`]: the datagram-preserving `Read + Write` that OpenSSL's DTLS engine runs on.
//!
//! The `openssl` crate drives an `SslStream` over any `Read + Write` through a custom BIO. DTLS
//! needs datagram semantics from it: each `write` from OpenSSL is one whole datagram (one
//! flight fragment or one record), and each `read` must return exactly one whole datagram.
//! A byte stream (such as a TCP-like adapter) would merge or split records and break DTLS.
//! So the pipe is two queues of datagrams: OpenSSL reads from `incoming` (filled by the
//! transport from the UDP socket) and writes to `outgoing` (drained to the socket by the
//! transport). An empty `incoming` is `WouldBlock`, which OpenSSL reports as "want read":
//! the DTLS session stays sans-I/O and the async transport decides when to wait.

use crate::prelude::*;
use std::collections::VecDeque;
use std::io::{self, Read, Write};

use super::alert::{Alert, CHANGE_CIPHER_SPEC};

/// Two datagram queues between OpenSSL and the socket; see the [module docs](self).
#[derive(Debug, Default)]
pub struct Pipe {
    incoming: VecDeque<Vec<u8>>,
    outgoing: VecDeque<Vec<u8>>,
    /// The last alert the peer sent in the clear.
    pub last_alert: Option<Alert>,
    /// Whether any datagram came from the peer.
    pub heard_from_peer: bool,
    /// Whether OpenSSL wrote a ChangeCipherSpec (our Finished follows, under the new keys).
    pub sent_change_cipher_spec: bool,
}

impl Pipe {
    /// Queues a datagram received from the peer.
    pub fn push_incoming(&mut self, datagram: Vec<u8>) {
        self.heard_from_peer = true;
        if let Some(alert) = Alert::in_plaintext_record(&datagram) {
            self.last_alert = Some(alert);
        }
        self.incoming.push_back(datagram);
    }

    /// The next datagram OpenSSL wrote, to send on the socket.
    pub fn pop_outgoing(&mut self) -> Option<Vec<u8>> {
        self.outgoing.pop_front()
    }
}

impl Read for Pipe {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let datagram = self
            .incoming
            .pop_front()
            .ok_or_else(|| io::Error::from(io::ErrorKind::WouldBlock))?;
        // OpenSSL reads with a buffer larger than any record; a longer datagram is truncated,
        // as a UDP socket would, and DTLS drops the damaged record.
        let mut len = 0;
        for (dst, src) in buf.iter_mut().zip(&datagram) {
            *dst = *src;
            len += 1;
        }
        Ok(len)
    }
}

impl Write for Pipe {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // A flight may carry several records in one datagram: look for a ChangeCipherSpec
        // record anywhere (walking the record headers), for the timeout diagnosis.
        let mut rest = buf;
        while let (Some(&kind), Some(len)) = (rest.first(), rest.get(11..13)) {
            if kind == CHANGE_CIPHER_SPEC {
                self.sent_change_cipher_spec = true;
            }
            let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
            rest = rest.get(13 + len..).unwrap_or_default();
        }
        self.outgoing.push_back(buf.to_vec());
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_datagram_boundaries() {
        let mut pipe = Pipe::default();
        let mut buf = [0u8; 64];
        assert_eq!(
            pipe.read(&mut buf).unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
        pipe.push_incoming(vec![1, 2, 3]);
        pipe.push_incoming(vec![4, 5]);
        assert_eq!(pipe.read(&mut buf).unwrap(), 3);
        assert_eq!(buf[..3], [1, 2, 3]);
        assert_eq!(pipe.read(&mut buf).unwrap(), 2);
        assert_eq!(buf[..2], [4, 5]);
        pipe.write_all(&[9; 20]).unwrap();
        pipe.write_all(&[8; 5]).unwrap();
        assert_eq!(pipe.pop_outgoing().unwrap(), vec![9; 20]);
        assert_eq!(pipe.pop_outgoing().unwrap(), vec![8; 5]);
        assert_eq!(pipe.pop_outgoing(), None);
        assert!(pipe.heard_from_peer);
    }

    #[test]
    fn notices_a_change_cipher_spec_behind_a_handshake_record() {
        let mut pipe = Pipe::default();
        let mut flight = vec![22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2, 16, 0];
        pipe.write_all(&flight).unwrap();
        assert!(!pipe.sent_change_cipher_spec);
        flight.extend([20, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1, 1]);
        pipe.write_all(&flight).unwrap();
        assert!(pipe.sent_change_cipher_spec);
    }
}
