use lwm2m::Object;

#[derive(Object)]
#[lwm2m(id = 3303)]
struct Temperature {
    #[lwm2m(id = 5700, name = "Sensor Value")]
    value: f64,
}

fn main() {}
