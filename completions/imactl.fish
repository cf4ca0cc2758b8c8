complete -c imactl -s h -l help -d 'Print help'
complete -c imactl -s V -l version -d 'Print version'
