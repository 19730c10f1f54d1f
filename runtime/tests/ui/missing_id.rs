use lwm2m::Object;

#[derive(Object)]
#[lwm2m(name = "No Id")]
struct NoObjectId {
    #[lwm2m(op = "R")]
    value: f64,
}

fn main() {}
