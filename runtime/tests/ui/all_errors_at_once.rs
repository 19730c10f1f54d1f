use lwm2m::Object;

// Every error of the input is reported, not only the first.
#[derive(Object)]
#[lwm2m(id = 3303, colour = "red")]
struct Temperature {
    #[lwm2m(id = 5700, op = "Read")]
    value: f64,
    #[lwm2m(id = 5700, op = "R")]
    again: f64,
    #[lwm2m(op = "R")]
    no_id: f64,
}

fn main() {}
