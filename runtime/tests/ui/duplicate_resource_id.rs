use lwm2m::Object;

#[derive(Object)]
#[lwm2m(id = 3303)]
struct Temperature {
    #[lwm2m(id = 5700, op = "R")]
    value: f64,
    #[lwm2m(id = 5701, op = "R")]
    units: String,
    #[lwm2m(id = 5700, op = "R")]
    again: f64,
}

fn main() {}
