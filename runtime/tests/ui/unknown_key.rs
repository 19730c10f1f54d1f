use lwm2m::Object;

#[derive(Object)]
#[lwm2m(id = 3303, object_version = "1.1")]
struct Temperature {
    #[lwm2m(id = 5700, op = "R", unit = "Cel", mandatory)]
    value: f64,
}

fn main() {}
