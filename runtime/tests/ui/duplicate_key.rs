use lwm2m::Object;

#[derive(Object)]
#[lwm2m(id = 3303, multiple)]
#[lwm2m(id = 3304)]
struct Temperature {
    #[lwm2m(id = 5700, op = "R", op = "RW")]
    value: f64,
}

fn main() {}
