use lwm2m::Object;

#[derive(Object)]
#[lwm2m(id = 70000)]
struct Big {
    #[lwm2m(id = -1, op = "R")]
    negative: f64,
    #[lwm2m(id = "5", op = "R")]
    text: f64,
    #[lwm2m(id = 1.5, op = "R")]
    float: f64,
}

fn main() {}
