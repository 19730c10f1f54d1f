use lwm2m::Object;

#[derive(Object)]
#[lwm2m(id = 3303)]
struct Temperature {
    #[lwm2m(id = 5700, op = "X")]
    value: f64,
    #[lwm2m(id = 5701, op = "WR")]
    units: String,
}

fn main() {}
