fn main() {
    std::process::exit(imaevm::cli::imactl::main());
}
