use lwm2m::Object;

#[derive(Object)]
#[lwm2m(id = 1500, version = "1", lwm2m_version = "v1.1", crate = "not a path")]
struct Reserved {}

fn main() {}
