fn main() {
    std::process::exit(imaevm::cli::evmctl::main());
}
