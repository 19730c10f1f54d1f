//! Each request of a server classified once (Core TS §6.1, §6.3, §6.4): [`Request::classify`]
//! reads the method, the path, the options and, for a POST on a resource, the object's
//! metadata, and names the LwM2M [`Operation`] and the access [`Right`] it needs. The engine
//! then checks the right in one place and dispatches with one exhaustive `match` on the
//! operation: nothing downstream looks at the CoAP method again.
//!
//! | requester | CoAP request | operation |
//! | --- | --- | --- |
//! | any | GET with Observe 0 | Observe |
//! | any | GET with another Observe value | Cancel-Observation (answered as a Read) |
//! | any | PUT without payload, with Uri-Query | Write-Attributes |
//! | bootstrap server | POST `/bs` | Bootstrap-Finish |
//! | bootstrap server | GET with Accept 40 | Bootstrap-Discover |
//! | bootstrap server | GET | Bootstrap-Read |
//! | bootstrap server | PUT on an object, instance or resource | Bootstrap-Write |
//! | bootstrap server | DELETE | Bootstrap-Delete |
//! | server | GET with Accept 40 | Discover |
//! | server | GET | Read |
//! | any | PUT (on the root for the bootstrap server) | Write (replace) |
//! | any | POST on an object | Create |
//! | any | POST on an executable resource | Execute |
//! | any | POST elsewhere | Write (partial update) |
//! | server | DELETE | Delete |
//! | any | FETCH with Observe 0 | Observe-Composite |
//! | any | FETCH with another Observe value | Cancel Observation-Composite (a Read-Composite) |
//! | any | FETCH | Read-Composite |
//! | any | iPATCH | Write-Composite |
//! | any | another method | Unknown (4.05) |

use crate::prelude::*;
use core::fmt;

use coap_lite::{CoapOption, MessageClass, RequestType};

use crate::coap::{ReadMessage, options};
use crate::codec::ContentFormat;
use crate::path::Path;
use crate::store::ObjectStore;

use super::access;
use super::message;

/// The LwM2M operation a server's request asks for, as [`Event::Request`](super::Event) reports
/// it. Prints as the Core TS names it (`Read`, `Write-Attributes`, `Bootstrap-Finish`...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// Read (GET).
    Read,
    /// Discover (GET with Accept 40, link format).
    Discover,
    /// Observe (GET with Observe 0).
    Observe,
    /// Cancel Observation (GET with Observe 1): answered as a Read, the observation ends.
    CancelObservation,
    /// Write-Attributes (PUT with Uri-Query and no payload).
    WriteAttributes,
    /// Write: replace (PUT) or partial update (POST).
    Write {
        /// Whether it is a partial update (POST): the resources not given stay.
        partial: bool,
    },
    /// Execute (POST on an executable resource).
    Execute,
    /// Create (POST on an object).
    Create,
    /// Delete (DELETE on an instance).
    Delete,
    /// Read-Composite (FETCH with SenML paths).
    ReadComposite,
    /// Write-Composite (iPATCH with SenML values).
    WriteComposite,
    /// Observe-Composite (FETCH with SenML paths and Observe 0).
    ObserveComposite,
    /// Cancel Observation-Composite (FETCH with Observe 1): answered as a Read-Composite, the
    /// observation ends.
    CancelObserveComposite,
    /// Bootstrap-Read (GET by the bootstrap server).
    BootstrapRead,
    /// Bootstrap-Discover (GET with Accept 40 by the bootstrap server).
    BootstrapDiscover,
    /// Bootstrap-Write (PUT by the bootstrap server: creates missing instances).
    BootstrapWrite,
    /// Bootstrap-Delete (DELETE by the bootstrap server).
    BootstrapDelete,
    /// Bootstrap-Finish (POST `/bs`).
    BootstrapFinish,
    /// A method LwM2M does not define here: answered 4.05 Method Not Allowed.
    Unknown,
}

impl Operation {
    /// The name the Core TS gives the operation.
    pub const fn name(self) -> &'static str {
        match self {
            Operation::Read => "Read",
            Operation::Discover => "Discover",
            Operation::Observe => "Observe",
            Operation::CancelObservation => "Cancel-Observation",
            Operation::WriteAttributes => "Write-Attributes",
            Operation::Write { .. } => "Write",
            Operation::Execute => "Execute",
            Operation::Create => "Create",
            Operation::Delete => "Delete",
            Operation::ReadComposite => "Read-Composite",
            Operation::WriteComposite => "Write-Composite",
            Operation::ObserveComposite => "Observe-Composite",
            Operation::CancelObserveComposite => "Cancel-Observation-Composite",
            Operation::BootstrapRead => "Bootstrap-Read",
            Operation::BootstrapDiscover => "Bootstrap-Discover",
            Operation::BootstrapWrite => "Bootstrap-Write",
            Operation::BootstrapDelete => "Bootstrap-Delete",
            Operation::BootstrapFinish => "Bootstrap-Finish",
            Operation::Unknown => "Unknown",
        }
    }

    /// The Access Control right the operation needs on its target instance (Core TS §7.3.1);
    /// `None` for the composite operations (each path is checked), Bootstrap-Finish and an
    /// unknown method.
    pub(crate) const fn right(self) -> Option<Right> {
        Some(match self {
            Operation::Read
            | Operation::Discover
            | Operation::Observe
            | Operation::CancelObservation
            | Operation::WriteAttributes
            | Operation::BootstrapRead
            | Operation::BootstrapDiscover => Right::Read,
            Operation::Write { .. } | Operation::BootstrapWrite => Right::Write,
            Operation::Execute => Right::Execute,
            Operation::Delete | Operation::BootstrapDelete => Right::Delete,
            Operation::Create => Right::Create,
            Operation::ReadComposite
            | Operation::WriteComposite
            | Operation::ObserveComposite
            | Operation::CancelObserveComposite
            | Operation::BootstrapFinish
            | Operation::Unknown => return None,
        })
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An Access Control right (one bit of an ACL, Core TS §7.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Right {
    /// Read, Observe, Write-Attributes and Discover.
    Read,
    /// Write.
    Write,
    /// Execute.
    Execute,
    /// Delete.
    Delete,
    /// Create (held on the instance 65535 of the object's Access Control).
    Create,
}

impl Right {
    /// The ACL bit.
    pub(crate) const fn bit(self) -> u8 {
        match self {
            Right::Read => access::READ,
            Right::Write => access::WRITE,
            Right::Execute => access::EXECUTE,
            Right::Delete => access::DELETE,
            Right::Create => access::CREATE,
        }
    }
}

/// A request classified: its operation, its path and the options the operations read. The
/// payload stays with the packet (a Block1 transfer replaces it with the whole body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Request<'p> {
    /// What the server asks for.
    pub operation: Operation,
    /// The LwM2M path; `None` when the Uri-Path is not one (Bootstrap-Finish's `/bs`, a name).
    pub path: Option<Path>,
    /// The Accept option (`Err`: malformed, answered 4.06 by the operations that read it).
    pub accept: Result<Option<u16>, ()>,
    /// The Content-Format option (`Err`: malformed, answered 4.15 by the operations that
    /// decode a payload).
    pub format: Result<Option<u16>, ()>,
    /// Write-Attributes: the Uri-Query options as sent (`pmin=10`).
    pub query: Vec<&'p str>,
}

impl<'p> Request<'p> {
    /// Classifies `packet` from the bootstrap server (`bootstrap`) or a server; `store` tells
    /// whether a POSTed resource is executable.
    pub(crate) fn classify<M: ReadMessage>(
        packet: &'p M,
        bootstrap: bool,
        store: &ObjectStore,
    ) -> Self {
        let path = message::request_path(packet);
        let accept = options::accept(packet).map_err(drop);
        let format = options::content_format(packet).map_err(drop);
        let empty = packet.payload().is_empty();
        let query: Vec<&str> = if packet.code() == MessageClass::Request(RequestType::Put) && empty
        {
            query_strings(packet)
        } else {
            Vec::new()
        };
        let operation = operation(packet, path.as_ref(), accept, &query, bootstrap, store);
        Request {
            operation,
            path,
            accept,
            format,
            query,
        }
    }

    /// The instance and right an Access Control check needs before anything is read or
    /// written: `None` when nothing is checked up front (object-level reads and discovers are
    /// filtered instead, composite operations check each path, an instance that does not exist
    /// is answered 4.04 by the operation). A Create checks [`Right::Create`] on
    /// `(object, 65535)`.
    pub(crate) fn needed_right(&self, store: &ObjectStore) -> Option<(u16, u16, Right)> {
        let right = self.operation.right()?;
        match *self.path?.ids() {
            [object] => {
                (right == Right::Create).then_some((object, access::CREATE_INSTANCE, Right::Create))
            }
            [object, instance, ..] => {
                store.instance(object, instance)?;
                Some((object, instance, right))
            }
            _ => None,
        }
    }
}

/// The non-empty Uri-Query options, each as UTF-8; none at all when one is not UTF-8.
fn query_strings<M: ReadMessage>(packet: &M) -> Vec<&str> {
    let mut query = Vec::new();
    for bytes in packet.option_values(CoapOption::UriQuery) {
        match core::str::from_utf8(bytes) {
            Ok("") => {}
            Ok(text) => query.push(text),
            Err(_) => return Vec::new(),
        }
    }
    query
}

/// See the module documentation.
fn operation(
    packet: &impl ReadMessage,
    path: Option<&Path>,
    accept: Result<Option<u16>, ()>,
    query: &[&str],
    bootstrap: bool,
    store: &ObjectStore,
) -> Operation {
    let MessageClass::Request(method) = packet.code() else {
        return Operation::Unknown;
    };
    let discover = accept == Ok(Some(ContentFormat::LinkFormat.to_u16()));
    match method {
        RequestType::Get => match options::observe(packet) {
            Ok(Some(0)) => Operation::Observe,
            Ok(Some(_)) => Operation::CancelObservation,
            _ if bootstrap && discover => Operation::BootstrapDiscover,
            _ if bootstrap => Operation::BootstrapRead,
            _ if discover => Operation::Discover,
            _ => Operation::Read,
        },
        RequestType::Put if !query.is_empty() => Operation::WriteAttributes,
        RequestType::Put if bootstrap && path.is_some_and(|p| !p.is_root()) => {
            Operation::BootstrapWrite
        }
        RequestType::Put => Operation::Write { partial: false },
        RequestType::Post if bootstrap && is_bootstrap_finish(packet) => Operation::BootstrapFinish,
        RequestType::Post => match path.map(Path::ids) {
            Some([_]) => Operation::Create,
            Some(&[object, _, resource]) if is_executable(store, object, resource) => {
                Operation::Execute
            }
            _ => Operation::Write { partial: true },
        },
        RequestType::Delete if bootstrap => Operation::BootstrapDelete,
        RequestType::Delete => Operation::Delete,
        RequestType::Fetch => match options::observe(packet) {
            Ok(Some(0)) => Operation::ObserveComposite,
            Ok(Some(_)) => Operation::CancelObserveComposite,
            _ => Operation::ReadComposite,
        },
        RequestType::IPatch => Operation::WriteComposite,
        _ => Operation::Unknown,
    }
}

/// Whether the Uri-Path is exactly `/bs`.
fn is_bootstrap_finish(packet: &impl ReadMessage) -> bool {
    let mut segments = packet
        .option_values(CoapOption::UriPath)
        .filter(|s| !s.is_empty());
    segments.next().is_some_and(|s| s == b"bs") && segments.next().is_none()
}

/// Whether resource `resource` of object `object` is executable, as its metadata says.
pub(crate) fn is_executable(store: &ObjectStore, object: u16, resource: u16) -> bool {
    store
        .objects()
        .find(|m| m.id == object)
        .and_then(|m| m.resource(resource))
        .is_some_and(|r| r.operations.is_executable())
}

#[cfg(test)]
mod tests {
    use coap_lite::{MessageType, Packet};

    use super::*;
    use crate::objects::{Device, DeviceHandler};

    fn store() -> ObjectStore {
        let mut store = ObjectStore::new();
        store
            .insert(0, Device::demo(), DeviceHandler::default())
            .expect("a fresh store takes the Device instance");
        store
    }

    fn packet(method: RequestType, path: &[&str]) -> Packet {
        let mut packet = Packet::new();
        packet.header.set_type(MessageType::Confirmable);
        packet.header.code = MessageClass::Request(method);
        for segment in path {
            packet.add_option(CoapOption::UriPath, segment.as_bytes().to_vec());
        }
        packet
    }

    fn classify(packet: &Packet, bootstrap: bool) -> Operation {
        Request::classify(packet, bootstrap, &store()).operation
    }

    #[test]
    fn gets_are_reads_discovers_and_observations() {
        let mut get = packet(RequestType::Get, &["3", "0", "0"]);
        assert_eq!(classify(&get, false), Operation::Read);
        assert_eq!(classify(&get, true), Operation::BootstrapRead);
        options::set_accept(&mut get, 40);
        assert_eq!(classify(&get, false), Operation::Discover);
        assert_eq!(classify(&get, true), Operation::BootstrapDiscover);
        options::set_observe(&mut get, 0);
        assert_eq!(classify(&get, false), Operation::Observe);
        options::set_observe(&mut get, 1);
        assert_eq!(classify(&get, false), Operation::CancelObservation);
    }

    #[test]
    fn puts_are_writes_or_write_attributes() {
        let mut put = packet(RequestType::Put, &["3", "0", "15"]);
        assert_eq!(classify(&put, false), Operation::Write { partial: false });
        put.add_option(CoapOption::UriQuery, b"pmin=10".to_vec());
        let request = Request::classify(&put, false, &store());
        assert_eq!(request.operation, Operation::WriteAttributes);
        assert_eq!(request.query, ["pmin=10"]);
        put.payload = b"x".to_vec();
        assert_eq!(classify(&put, false), Operation::Write { partial: false });
        assert_eq!(classify(&put, true), Operation::BootstrapWrite);
        let root = packet(RequestType::Put, &[]);
        assert_eq!(classify(&root, true), Operation::Write { partial: false });
    }

    #[test]
    fn posts_create_execute_or_update_as_the_metadata_says() {
        assert_eq!(
            classify(&packet(RequestType::Post, &["3"]), false),
            Operation::Create
        );
        // /3/0/4 Reboot is executable, /3/0/15 Timezone is not.
        assert_eq!(
            classify(&packet(RequestType::Post, &["3", "0", "4"]), false),
            Operation::Execute
        );
        assert_eq!(
            classify(&packet(RequestType::Post, &["3", "0", "15"]), false),
            Operation::Write { partial: true }
        );
        assert_eq!(
            classify(&packet(RequestType::Post, &["3", "0"]), false),
            Operation::Write { partial: true }
        );
        assert_eq!(
            classify(&packet(RequestType::Post, &["bs"]), true),
            Operation::BootstrapFinish
        );
        assert_eq!(
            classify(&packet(RequestType::Post, &["bs"]), false),
            Operation::Write { partial: true }
        );
        assert_eq!(
            classify(&packet(RequestType::Post, &["bs", "x"]), true),
            Operation::Write { partial: true }
        );
    }

    #[test]
    fn the_rest_by_method() {
        let delete = packet(RequestType::Delete, &["3", "0"]);
        assert_eq!(classify(&delete, false), Operation::Delete);
        assert_eq!(classify(&delete, true), Operation::BootstrapDelete);
        assert_eq!(
            classify(&packet(RequestType::Fetch, &[]), false),
            Operation::ReadComposite
        );
        assert_eq!(
            classify(&packet(RequestType::IPatch, &[]), false),
            Operation::WriteComposite
        );
        assert_eq!(
            classify(&packet(RequestType::Patch, &["3"]), false),
            Operation::Unknown
        );
    }

    #[test]
    fn rights_are_named_once() {
        let store = store();
        let read = packet(RequestType::Get, &["3", "0", "0"]);
        let request = Request::classify(&read, false, &store);
        assert_eq!(request.needed_right(&store), Some((3, 0, Right::Read)));
        let create = packet(RequestType::Post, &["3"]);
        let request = Request::classify(&create, false, &store);
        assert_eq!(
            request.needed_right(&store),
            Some((3, access::CREATE_INSTANCE, Right::Create))
        );
        let execute = packet(RequestType::Post, &["3", "0", "4"]);
        let request = Request::classify(&execute, false, &store);
        assert_eq!(request.needed_right(&store), Some((3, 0, Right::Execute)));
        // An instance that does not exist: the operation answers 4.04, nothing is checked.
        let missing = packet(RequestType::Delete, &["3", "7"]);
        let request = Request::classify(&missing, false, &store);
        assert_eq!(request.needed_right(&store), None);
        // An object-level read is filtered per instance instead.
        let object = packet(RequestType::Get, &["3"]);
        let request = Request::classify(&object, false, &store);
        assert_eq!(request.needed_right(&store), None);
        assert_eq!(Operation::WriteAttributes.to_string(), "Write-Attributes");
    }
}
