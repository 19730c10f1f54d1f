//! Firmware Update (object 5) against a scripted server and a scripted file server on a
//! simulated clock: push whole and block-wise, pull with resume and loss, the State and Update
//! Result machine with its refusals, and notifications of State.

// A failed unwrap is a failed test here.
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use coap_lite::{CoapOption, MessageType, Packet, RequestType, ResponseType};
use lwm2m::Instant;
use lwm2m::client::{Client, Event, LwM2mVersion};
use lwm2m::coap::block::{self, BlockOption};
use lwm2m::firmware::{
    AfterBoot, Applied, FirmwareSink, FirmwareUpdater, PackageInfo, SinkError, UpdateResult,
    UpdateState,
};

use crate::support::*;

/// What the test sink saw, shared with the test.
#[derive(Debug, Default)]
struct Log {
    /// The calls, in order: "begin", "write", "finish", "apply", "abort".
    calls: Vec<&'static str>,
    /// The package bytes of the current package.
    bytes: Vec<u8>,
    /// Size hints given to `begin`.
    sizes: Vec<Option<u32>>,
}

/// A sink in memory with scripted refusals.
struct TestSink {
    log: Arc<Mutex<Log>>,
    capacity: usize,
    /// The package `finish` accepts must start with this.
    magic: &'static [u8],
    apply: Result<Applied, SinkError>,
}

impl FirmwareSink for TestSink {
    fn begin(&mut self, size: Option<u32>) -> Result<(), SinkError> {
        let mut log = self.log.lock().unwrap();
        log.calls.push("begin");
        log.sizes.push(size);
        log.bytes.clear();
        match size {
            Some(size) if size as usize > self.capacity => Err(SinkError::NoSpace),
            _ => Ok(()),
        }
    }
    fn write(&mut self, chunk: &[u8]) -> Result<(), SinkError> {
        let mut log = self.log.lock().unwrap();
        log.calls.push("write");
        if log.bytes.len() + chunk.len() > self.capacity {
            return Err(SinkError::NoSpace);
        }
        log.bytes.extend_from_slice(chunk);
        Ok(())
    }
    fn finish(&mut self) -> Result<PackageInfo, SinkError> {
        let mut log = self.log.lock().unwrap();
        log.calls.push("finish");
        if log.bytes.starts_with(self.magic) {
            Ok(PackageInfo {
                name: Some("test".into()),
                version: Some("2.0".into()),
            })
        } else {
            Err(SinkError::IntegrityCheck)
        }
    }
    fn apply(&mut self) -> Result<Applied, SinkError> {
        self.log.lock().unwrap().calls.push("apply");
        self.apply
    }
    fn abort(&mut self) {
        let mut log = self.log.lock().unwrap();
        log.calls.push("abort");
        log.bytes.clear();
    }
}

struct Fixture {
    client: Client,
    log: Arc<Mutex<Log>>,
    now: Instant,
    /// The message id (and token) of the next request.
    next: u16,
    /// Datagrams the client sent besides a response, not looked at yet.
    held: Vec<(SocketAddr, Packet)>,
}

impl Fixture {
    /// A request with a message id and token of its own (the duplicate cache would answer a
    /// repeated one from its memory).
    fn request(&mut self, method: RequestType, path: &str) -> Request {
        self.next += 1;
        let mut request = Request::new(method, path).id(self.next);
        request.packet.set_token(self.next.to_be_bytes().to_vec());
        request
    }
}

fn fixture_with(capacity: usize, apply: Result<Applied, SinkError>, after: AfterBoot) -> Fixture {
    fixture_on(store(), capacity, apply, after)
}

fn fixture_on(
    store: lwm2m::ObjectStore,
    capacity: usize,
    apply: Result<Applied, SinkError>,
    after: AfterBoot,
) -> Fixture {
    let now = Instant::now();
    let log = Arc::new(Mutex::new(Log::default()));
    let sink = TestSink {
        log: log.clone(),
        capacity,
        magic: b"FW",
        apply,
    };
    let mut client = Client::new(config(LwM2mVersion::V1_1), store);
    client.enable_firmware_update(now, FirmwareUpdater::new(Box::new(sink)).after_boot(after));
    client.start(now);
    let register = only(&mut client);
    let links = String::from_utf8(register.payload.clone()).unwrap();
    assert!(links.contains("</5/0>"), "{links}");
    let mut created = answer(&register, ResponseType::Created);
    created.add_option(CoapOption::LocationPath, b"rd".to_vec());
    created.add_option(CoapOption::LocationPath, b"5".to_vec());
    client.handle_datagram(now, server(), &created.to_bytes().unwrap());
    events(&mut client);
    Fixture {
        client,
        log,
        now,
        next: 1000,
        held: Vec::new(),
    }
}

fn fixture() -> Fixture {
    fixture_with(1 << 20, Ok(Applied::Restart), AfterBoot::Fresh)
}

fn package(len: usize) -> Vec<u8> {
    let mut p = b"FW".to_vec();
    p.extend((2..len).map(|i| (i % 251) as u8));
    p
}

fn status(f: &Fixture) -> (UpdateState, UpdateResult) {
    f.client.firmware_status().unwrap()
}

fn read_text(f: &mut Fixture, path: &str) -> String {
    let response = f
        .request(RequestType::Get, path)
        .accept(0)
        .send(&mut f.client, f.now);
    assert_eq!(code(&response), "2.05", "{path}");
    String::from_utf8(response.payload).unwrap()
}

fn execute(f: &mut Fixture, path: &str) -> String {
    let request = f.request(RequestType::Post, path);
    code(&request.send(&mut f.client, f.now))
}

/// Pushes `body` to `/5/0/0` in blocks of `size` from message id `first_id` on: the codes.
fn push_blocks(f: &mut Fixture, body: &[u8], size: usize) -> Vec<String> {
    let chunks: Vec<&[u8]> = body.chunks(size).collect();
    let mut codes = Vec::new();
    for (num, chunk) in chunks.iter().enumerate() {
        let more = num + 1 < chunks.len();
        let option = BlockOption::new(num as u32, more, size).unwrap();
        let mut request = f
            .request(RequestType::Put, "/5/0/0")
            .format(42)
            .option(CoapOption::Block1, &option.encode())
            .payload(chunk);
        if num == 0 {
            request = request.option(CoapOption::Size1, &(body.len() as u32).to_be_bytes());
        }
        let response = request.send(&mut f.client, f.now);
        if matches!(code(&response).as_str(), "2.31" | "2.04") {
            let echo = block::block1(&response).unwrap().unwrap();
            assert_eq!((echo.num(), echo.more()), (num as u32, more));
        }
        codes.push(code(&response));
        if !matches!(code(&response).as_str(), "2.31") {
            break;
        }
    }
    codes
}

#[test]
fn ets_751_the_readable_resources_start_idle() {
    let mut f = fixture();
    assert_eq!(read_text(&mut f, "/5/0/3"), "0");
    assert_eq!(read_text(&mut f, "/5/0/5"), "0");
    assert_eq!(read_text(&mut f, "/5/0/9"), "2");
    assert_eq!(read_text(&mut f, "/5/0/8/0"), "0");
    // Package is write-only.
    let response = f
        .request(RequestType::Get, "/5/0/0")
        .send(&mut f.client, f.now);
    assert_eq!(code(&response), "4.05");
}

#[test]
fn a_block_wise_push_streams_every_block_once_and_update_asks_for_a_restart() {
    let mut f = fixture();
    let body = package(1000);
    let codes = push_blocks(&mut f, &body, 256);
    assert_eq!(codes, ["2.31", "2.31", "2.31", "2.04"]);
    assert_eq!(status(&f), (UpdateState::Downloaded, UpdateResult::Initial));
    {
        let log = f.log.lock().unwrap();
        assert_eq!(log.bytes, body);
        assert_eq!(log.sizes, [Some(1000)]);
        assert_eq!(
            log.calls,
            ["begin", "write", "write", "write", "write", "finish"]
        );
    }
    assert_eq!(read_text(&mut f, "/5/0/7"), "2.0");
    assert_eq!(execute(&mut f, "/5/0/2"), "2.04");
    assert_eq!(status(&f), (UpdateState::Updating, UpdateResult::Initial));
    assert!(events(&mut f.client).contains(&Event::FirmwareUpdating));
    assert_eq!(f.log.lock().unwrap().calls.last(), Some(&"apply"));
}

#[test]
fn a_repeated_block_is_not_written_twice_and_a_gap_is_refused_with_4_08() {
    let mut f = fixture();
    let body = package(64);
    let first = f
        .request(RequestType::Put, "/5/0/0")
        .option(
            CoapOption::Block1,
            &BlockOption::new(0, true, 16).unwrap().encode(),
        )
        .payload(&body[..16]);
    assert_eq!(code(&first.send(&mut f.client, f.now)), "2.31");
    // The same block again under a new message id (the server retried).
    let again = f
        .request(RequestType::Put, "/5/0/0")
        .option(
            CoapOption::Block1,
            &BlockOption::new(0, true, 16).unwrap().encode(),
        )
        .payload(&body[..16]);
    // Block 0 from the same server starts the package over.
    assert_eq!(code(&again.send(&mut f.client, f.now)), "2.31");
    let second = f
        .request(RequestType::Put, "/5/0/0")
        .option(
            CoapOption::Block1,
            &BlockOption::new(1, true, 16).unwrap().encode(),
        )
        .payload(&body[16..32]);
    assert_eq!(code(&second.send(&mut f.client, f.now)), "2.31");
    let repeat = f
        .request(RequestType::Put, "/5/0/0")
        .option(
            CoapOption::Block1,
            &BlockOption::new(1, true, 16).unwrap().encode(),
        )
        .payload(&body[16..32]);
    assert_eq!(code(&repeat.send(&mut f.client, f.now)), "2.31");
    let gap = f
        .request(RequestType::Put, "/5/0/0")
        .option(
            CoapOption::Block1,
            &BlockOption::new(3, false, 16).unwrap().encode(),
        )
        .payload(&body[48..]);
    assert_eq!(code(&gap.send(&mut f.client, f.now)), "4.08");
    assert_eq!(f.log.lock().unwrap().bytes, body[..32]);
    assert_eq!(status(&f).0, UpdateState::Downloading);
}

#[test]
fn ets_755_a_nul_package_resets_and_a_whole_package_is_downloaded() {
    let mut f = fixture();
    let whole = f
        .request(RequestType::Put, "/5/0/0")
        .format(42)
        .payload(&package(100))
        .send(&mut f.client, f.now);
    assert_eq!(code(&whole), "2.04");
    assert_eq!(status(&f), (UpdateState::Downloaded, UpdateResult::Initial));
    let reset = f
        .request(RequestType::Put, "/5/0/0")
        .format(42)
        .payload(&[0])
        .send(&mut f.client, f.now);
    assert_eq!(code(&reset), "2.04");
    assert_eq!(status(&f), (UpdateState::Idle, UpdateResult::Initial));
    assert_eq!(f.log.lock().unwrap().calls.last(), Some(&"abort"));
}

#[test]
fn ets_772_update_without_a_package_is_refused_and_changes_nothing() {
    let mut f = fixture();
    assert_eq!(execute(&mut f, "/5/0/2"), "4.05");
    assert_eq!(status(&f), (UpdateState::Idle, UpdateResult::Initial));
    // Cancel with nothing to cancel, too.
    assert_eq!(execute(&mut f, "/5/0/10"), "4.05");
}

#[test]
fn ets_773_no_space_stops_the_push_with_4_13_and_result_2() {
    let mut f = fixture_with(500, Ok(Applied::Restart), AfterBoot::Fresh);
    let codes = push_blocks(&mut f, &package(1000), 256);
    assert_eq!(codes, ["4.13"]);
    assert_eq!(status(&f), (UpdateState::Idle, UpdateResult::NoSpace));
    // Without a Size1 the sink finds out at the write that overflows.
    let mut f = fixture_with(500, Ok(Applied::Restart), AfterBoot::Fresh);
    let body = package(1000);
    let mut codes = Vec::new();
    for (num, chunk) in body.chunks(256).enumerate() {
        let option = BlockOption::new(num as u32, true, 256).unwrap();
        let response = f
            .request(RequestType::Put, "/5/0/0")
            .option(CoapOption::Block1, &option.encode())
            .payload(chunk)
            .send(&mut f.client, f.now);
        codes.push(code(&response));
        if code(&response) != "2.31" {
            break;
        }
    }
    assert_eq!(codes, ["2.31", "4.13"]);
    assert_eq!(status(&f), (UpdateState::Idle, UpdateResult::NoSpace));
}

#[test]
fn ets_776_a_corrupt_package_is_answered_2_04_with_result_5() {
    let mut f = fixture();
    let mut body = package(600);
    body[0] = b'X';
    assert_eq!(push_blocks(&mut f, &body, 256), ["2.31", "2.31", "2.04"]);
    assert_eq!(
        status(&f),
        (UpdateState::Idle, UpdateResult::IntegrityCheckFailure)
    );
    assert_eq!(f.log.lock().unwrap().calls.last(), Some(&"abort"));
}

#[test]
fn ets_779_a_failed_install_goes_back_to_downloaded_with_result_8() {
    let mut f = fixture_with(1 << 20, Err(SinkError::UpdateFailed), AfterBoot::Fresh);
    assert_eq!(push_blocks(&mut f, &package(300), 256), ["2.31", "2.04"]);
    assert_eq!(execute(&mut f, "/5/0/2"), "2.04");
    assert_eq!(
        status(&f),
        (UpdateState::Downloaded, UpdateResult::UpdateFailed)
    );
    assert!(!events(&mut f.client).contains(&Event::FirmwareUpdating));
}

#[test]
fn an_update_applied_in_place_ends_idle_with_result_1_and_after_boot_reports_it() {
    let mut f = fixture_with(1 << 20, Ok(Applied::Done), AfterBoot::Fresh);
    assert_eq!(push_blocks(&mut f, &package(40), 32), ["2.31", "2.04"]);
    assert_eq!(execute(&mut f, "/5/0/2"), "2.04");
    assert_eq!(status(&f), (UpdateState::Idle, UpdateResult::Success));
    let mut f = fixture_with(1 << 20, Ok(Applied::Restart), AfterBoot::Updated);
    assert_eq!(read_text(&mut f, "/5/0/5"), "1");
    assert_eq!(read_text(&mut f, "/5/0/3"), "0");
}

#[test]
fn ets_760_state_changes_are_notified() {
    let mut f = fixture();
    let observe = f
        .request(RequestType::Get, "/5/0/3")
        .accept(0)
        .option(CoapOption::Observe, &[])
        .send(&mut f.client, f.now);
    assert_eq!(observe.payload, b"0");
    let token = observe.get_token().to_vec();
    let whole = f
        .request(RequestType::Put, "/5/0/0")
        .format(42)
        .payload(&package(50));
    f.client
        .handle_datagram(f.now, server(), &whole.packet.to_bytes().unwrap());
    let mut all = sent(&mut f.client);
    // The notification may wait for the observation's minimum period.
    f.now += Duration::from_secs(5);
    f.client.handle_timeout(f.now);
    all.extend(sent(&mut f.client));
    let notified: Vec<Vec<u8>> = all
        .into_iter()
        .filter(|(_, p)| p.get_token() == token.as_slice())
        .map(|(_, p)| p.payload)
        .collect();
    assert_eq!(notified, [b"2".to_vec()]);
}

#[test]
fn cancel_drops_a_downloaded_package_with_result_10() {
    let mut f = fixture();
    assert_eq!(push_blocks(&mut f, &package(40), 32), ["2.31", "2.04"]);
    assert_eq!(execute(&mut f, "/5/0/10"), "2.04");
    assert_eq!(status(&f), (UpdateState::Idle, UpdateResult::Cancelled));
    // Nothing to update any more.
    assert_eq!(execute(&mut f, "/5/0/2"), "4.05");
}

// ----- pull -------------------------------------------------------------------------------

fn file_server() -> SocketAddr {
    "127.0.0.1:5700".parse().unwrap()
}

/// Writes the Package URI: the response code; what else the client sent (the first GET)
/// waits in `f.held`.
fn write_uri(f: &mut Fixture, uri: &str) -> String {
    let request = f
        .request(RequestType::Put, "/5/0/1")
        .format(0)
        .payload(uri.as_bytes());
    let token = request.packet.get_token().to_vec();
    f.client
        .handle_datagram(f.now, server(), &request.packet.to_bytes().unwrap());
    let (response, others): (Vec<_>, Vec<_>) = sent(&mut f.client)
        .into_iter()
        .partition(|(to, p)| *to == server() && p.get_token() == token.as_slice());
    f.held.extend(others);
    code(&response[0].1)
}

/// The GETs the client sent to the file server.
fn gets(f: &mut Fixture) -> Vec<Packet> {
    let mut all = std::mem::take(&mut f.held);
    all.extend(sent(&mut f.client));
    all.into_iter()
        .filter(|(to, _)| *to == file_server())
        .map(|(_, p)| p)
        .collect()
}

/// The file server's answer to `get` with the block it asks for of `file`.
fn serve(f: &mut Fixture, get: &Packet, file: &[u8], etag: &[u8]) {
    let asked = block::block2(get).unwrap().unwrap();
    let (slice, option) = block::block_of(file, asked.num(), asked.szx()).unwrap();
    let mut response = answer(get, ResponseType::Content);
    response.add_option(CoapOption::ETag, etag.to_vec());
    block::set_block2(&mut response, option);
    response.payload = slice.to_vec();
    f.client
        .handle_datagram(f.now, file_server(), &response.to_bytes().unwrap());
}

#[test]
fn ets_756_a_package_uri_is_downloaded_block_by_block() {
    let mut f = fixture();
    let file = package(3000);
    assert_eq!(
        write_uri(&mut f, "coap://127.0.0.1:5700/fw/image?v=2"),
        "2.04"
    );
    assert_eq!(
        status(&f),
        (UpdateState::Downloading, UpdateResult::Initial)
    );
    let mut blocks = 0;
    let mut size: usize;
    loop {
        let mut asked = gets(&mut f);
        assert_eq!(asked.len(), 1, "one block in flight");
        let get = asked.remove(0);
        assert_eq!(get.header.get_type(), MessageType::Confirmable);
        assert_eq!(strings(&get, CoapOption::UriPath), ["fw", "image"]);
        assert_eq!(strings(&get, CoapOption::UriQuery), ["v=2"]);
        let asked = block::block2(&get).unwrap().unwrap();
        assert_eq!(asked.num(), blocks);
        size = asked.size();
        serve(&mut f, &get, &file, b"e1");
        blocks += 1;
        if status(&f).0 != UpdateState::Downloading {
            break;
        }
    }
    assert_eq!(blocks as usize, file.len().div_ceil(size));
    assert!(blocks > 1);
    assert_eq!(status(&f), (UpdateState::Downloaded, UpdateResult::Initial));
    assert_eq!(f.log.lock().unwrap().bytes, file);
    assert_eq!(
        read_text(&mut f, "/5/0/1"),
        "coap://127.0.0.1:5700/fw/image?v=2"
    );
}

/// Lets simulated time run to the client's next deadline.
fn tick(f: &mut Fixture) {
    let next = f.client.poll_timeout().unwrap();
    f.now = next.max(f.now);
    f.client.handle_timeout(f.now);
}

#[test]
fn a_lost_download_resumes_from_the_last_good_block() {
    let mut f = fixture();
    let file = package(2500);
    write_uri(&mut f, "coap://127.0.0.1:5700/fw");
    let first = gets(&mut f).remove(0);
    serve(&mut f, &first, &file, b"e1");
    // Block 1 is never answered: retransmitted, given up, then asked for again.
    let mut asked_again = None;
    for _ in 0..40 {
        tick(&mut f);
        if let Some(get) = gets(&mut f).pop() {
            if get.header.message_id != first.header.message_id + 1
                && block::block2(&get).unwrap().unwrap().num() == 1
                && asked_again.is_none()
            {
                asked_again = Some(get);
                break;
            }
        }
    }
    let again = asked_again.expect("block 1 asked for again");
    serve(&mut f, &again, &file, b"e1");
    let mut next = 2;
    while status(&f).0 == UpdateState::Downloading {
        let get = gets(&mut f).remove(0);
        assert_eq!(block::block2(&get).unwrap().unwrap().num(), next);
        serve(&mut f, &get, &file, b"e1");
        next += 1;
    }
    assert_eq!(status(&f), (UpdateState::Downloaded, UpdateResult::Initial));
    assert_eq!(f.log.lock().unwrap().bytes, file);
}

#[test]
fn ets_775_a_download_nobody_answers_ends_with_result_4() {
    let mut f = fixture();
    write_uri(&mut f, "coap://127.0.0.1:5700/fw");
    let start = f.now;
    while status(&f).0 == UpdateState::Downloading {
        tick(&mut f);
        gets(&mut f);
        assert!(f.now - start < Duration::from_secs(3600), "never gave up");
    }
    assert_eq!(
        status(&f),
        (UpdateState::Idle, UpdateResult::ConnectionLost)
    );
}

#[test]
fn ets_778_a_bad_uri_is_accepted_then_result_7_and_other_schemes_9() {
    let mut f = fixture();
    assert_eq!(write_uri(&mut f, "coap://[::1/fw"), "2.04");
    assert_eq!(status(&f), (UpdateState::Idle, UpdateResult::InvalidUri));
    assert!(gets(&mut f).is_empty());
    assert_eq!(write_uri(&mut f, "https://127.0.0.1/fw"), "2.04");
    assert_eq!(
        status(&f),
        (UpdateState::Idle, UpdateResult::UnsupportedProtocol)
    );
}

#[test]
fn a_missing_file_ends_with_result_7_and_a_changed_etag_starts_over() {
    let mut f = fixture();
    write_uri(&mut f, "coap://127.0.0.1:5700/nothing");
    let get = gets(&mut f).remove(0);
    let missing = answer(&get, ResponseType::NotFound);
    f.client
        .handle_datagram(f.now, file_server(), &missing.to_bytes().unwrap());
    assert_eq!(status(&f), (UpdateState::Idle, UpdateResult::InvalidUri));

    let file = package(2500);
    write_uri(&mut f, "coap://127.0.0.1:5700/fw");
    let first = gets(&mut f).remove(0);
    serve(&mut f, &first, &file, b"e1");
    let second = gets(&mut f).remove(0);
    serve(&mut f, &second, &file, b"e2");
    // Started over, after a pause.
    tick(&mut f);
    let again = gets(&mut f).remove(0);
    assert_eq!(block::block2(&again).unwrap().unwrap().num(), 0);
    assert_eq!(status(&f).0, UpdateState::Downloading);
}

#[test]
fn an_empty_uri_cancels_a_download_in_flight() {
    let mut f = fixture();
    write_uri(&mut f, "coap://127.0.0.1:5700/fw");
    let get = gets(&mut f).remove(0);
    assert_eq!(write_uri(&mut f, ""), "2.04");
    assert_eq!(status(&f), (UpdateState::Idle, UpdateResult::Initial));
    // The late answer belongs to nothing any more.
    serve(&mut f, &get, &package(100), b"e1");
    assert_eq!(status(&f), (UpdateState::Idle, UpdateResult::Initial));
    assert!(f.log.lock().unwrap().bytes.is_empty());
}

/// A device whose one server account is `coaps://` (the transport secures it).
fn secure_fixture() -> Fixture {
    let mut store = lwm2m::ObjectStore::new();
    store
        .insert(
            0,
            lwm2m::objects::Security::psk("coaps://127.0.0.1:5683", 1, b"id", &[1; 16]),
            (),
        )
        .unwrap();
    store
        .insert(0, lwm2m::objects::Server::new(1, 300, "U"), ())
        .unwrap();
    store
        .insert(
            0,
            lwm2m::objects::Device::demo(),
            lwm2m::objects::DeviceHandler::default(),
        )
        .unwrap();
    fixture_on(store, 1 << 20, Ok(Applied::Restart), AfterBoot::Fresh)
}

#[test]
fn a_coaps_uri_of_the_secure_server_is_downloaded_over_its_session_and_others_get_9() {
    let mut f = secure_fixture();
    assert_eq!(read_text(&mut f, "/5/0/8/1"), "1", "CoAPS listed");
    assert_eq!(write_uri(&mut f, "coaps://127.0.0.1:5999/fw"), "2.04");
    assert_eq!(
        status(&f),
        (UpdateState::Idle, UpdateResult::UnsupportedProtocol)
    );
    assert_eq!(write_uri(&mut f, "coaps://127.0.0.1:5683/fw"), "2.04");
    assert_eq!(
        status(&f),
        (UpdateState::Downloading, UpdateResult::Initial)
    );
    let get = std::mem::take(&mut f.held)
        .into_iter()
        .find(|(to, p)| {
            *to == server() && p.header.code == coap_lite::MessageClass::Request(RequestType::Get)
        })
        .map(|(_, p)| p)
        .expect("the GET goes to the server's address (its DTLS session)");
    assert_eq!(strings(&get, CoapOption::UriPath), ["fw"]);

    // Without a coaps:// account, CoAPS is neither listed nor downloaded.
    let mut f = fixture();
    let listed = f
        .request(RequestType::Get, "/5/0/8/1")
        .send(&mut f.client, f.now);
    assert_eq!(code(&listed), "4.04");
    assert_eq!(write_uri(&mut f, "coaps://127.0.0.1:5683/fw"), "2.04");
    assert_eq!(
        status(&f),
        (UpdateState::Idle, UpdateResult::UnsupportedProtocol)
    );
}
