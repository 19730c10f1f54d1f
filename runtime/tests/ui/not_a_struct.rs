use lwm2m::Object;

#[derive(Object)]
#[lwm2m(id = 1)]
enum Server {
    A,
}

#[derive(Object)]
#[lwm2m(id = 2)]
struct Tuple(#[lwm2m(id = 0, op = "R")] i64);

#[derive(Object)]
#[lwm2m(id = 3)]
struct Generic<T> {
    #[lwm2m(skip)]
    value: T,
}

#[derive(Object)]
#[lwm2m(id = 4)]
union Both {
    a: u32,
}

fn main() {}
