use lwm2m::{Instances, Object};

#[derive(Object)]
#[lwm2m(id = 3)]
struct Device {
    #[lwm2m(id = 6, op = "R", multiple)]
    power_sources: i64,
    #[lwm2m(id = 7, op = "R")]
    voltages: Option<Instances<i64>>,
}

fn main() {}
