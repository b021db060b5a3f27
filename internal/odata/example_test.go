package odata_test

import (
	"errors"
	"fmt"

	"github.com/entra-archiver/entra-archiver/internal/odata"
)

func Example() {
	e, err := odata.Parse("Status/ErrorCode NE 0 AND startswith(userPrincipalName, 'admin')")
	if err != nil {
		panic(err)
	}
	fmt.Println(e)

	m, err := odata.Compile(e, odata.Options{CaseInsensitive: true})
	if err != nil {
		panic(err)
	}
	for _, rec := range []string{
		`{"userPrincipalName":"Admin@contoso.com","Status":{"ErrorCode":50126}}`,
		`{"userPrincipalName":"Admin@contoso.com","Status":{"ErrorCode":0}}`,
	} {
		ok, err := m.Match([]byte(rec))
		fmt.Println(ok, err)
	}
	// Output:
	// Status/ErrorCode ne 0 and startswith(userPrincipalName,'admin')
	// true <nil>
	// false <nil>
}

func ExampleSyntaxError_Caret() {
	_, err := odata.Parse("status/errorCode eqq 0")
	fmt.Println(err)
	var se *odata.SyntaxError
	if errors.As(err, &se) {
		fmt.Println(se.Caret())
	}
	// Output:
	// column 18: unknown operator 'eqq'
	// status/errorCode eqq 0
	//                  ^
}
