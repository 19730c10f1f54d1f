use lwm2m::{Instances, Object};

#[derive(Object)]
#[lwm2m(id = 3)]
struct Device {
    #[lwm2m(id = 0, op = "R", kind = "Integer")]
    manufacturer: String,
    #[lwm2m(id = 1, op = "R", kind = "Unsigned Integer")]
    offset: Option<i32>,
    #[lwm2m(id = 7, op = "R", kind = "Float", multiple)]
    voltages: Instances<i64>,
}

fn main() {}
